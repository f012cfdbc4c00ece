import { expect } from 'vitest';
import { RenderError } from '../../../lib/domain/render/index.ts';

/** Runs `act`, asserts it throws a RenderError, and returns it for assertions on the message. */
export function renderErrorOf(act: () => unknown): RenderError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(RenderError);
    return error as RenderError;
  }
  throw new Error('expected a render error');
}

import type { Logger } from '../log/logger.ts';
import type { Clock, ReleaseStore } from './ports.ts';

export interface DeadLetterDeps {
  releases: ReleaseStore;
  clock: Clock;
  logger: Logger;
}

/** A message SQS moved to the write dead-letter queue, read by the caller (`requestId` unset: unreadable). */
export interface ParkedWrite {
  messageId: string;
  requestId: string | undefined;
  /** SQS's ApproximateReceiveCount, as it reports it. */
  receives: string | undefined;
}

/** What a parked request's reason says, so an operator knows both what happened and what to do. */
export function parkedReason(id: string, receives: string | undefined): string {
  return (
    `the write failed ${receives ?? 'several'} times and was parked in the dead-letter queue; ` +
    `nothing was committed. After fixing the cause, \`ferry requeue ${id}\` requests it again`
  );
}

/**
 * Each parked request is moved to `failed` with a reason naming the way back (`ferry requeue`), instead
 * of reading `queued` forever. A request already finished is left as it is; an unreadable message is
 * dropped with a log line. Returns the ids of the messages to keep (the store failed), which the caller
 * leaves on the queue to be tried again.
 */
export async function markParked(deps: DeadLetterDeps, messages: ParkedWrite[]): Promise<string[]> {
  const keep: string[] = [];
  for (const message of messages) {
    const { requestId } = message;
    if (!requestId) {
      deps.logger.error('unreadable dead letter dropped', { messageId: message.messageId });
      continue;
    }
    try {
      const reason = parkedReason(requestId, message.receives);
      const at = deps.clock.now().toISOString();
      const moved = await deps.releases.advance(requestId, { state: 'failed', at, reason });
      deps.logger.error('write parked in the dead-letter queue', {
        requestId,
        markedFailed: moved !== undefined,
      });
    } catch (error) {
      deps.logger.error('marking a parked write failed', { requestId, error });
      keep.push(message.messageId);
    }
  }
  return keep;
}

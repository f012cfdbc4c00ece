import { FerryError } from '../domain/errors.ts';

/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (an esbuild alias set by
 * cdk/ferry-function.ts). The SDK's HTTP protocol imports that module with `await import()` only for
 * operations that stream events (Bedrock, Transcribe, S3 SelectObjectContent…); DynamoDB, SQS and Secrets
 * Manager have none, but esbuild, with no code splitting, inlines the dynamic import into every bundle.
 *
 * A client with event-stream operations imports more of that module (S3Client: `resolveEventStreamSerdeConfig`),
 * so adding one fails the bundle build with "No matching export"; the two names below are what the protocol
 * itself asks for, and fail with this message should anything ever call them.
 */
export class EventStreamsNotBundledError extends FerryError {
  readonly code = 'not_bundled';
  constructor() {
    super(
      'AWS event streams are left out of the Lambda bundles (lib/aws/no-event-streams.ts); ' +
        'drop that alias from cdk/ferry-function.ts to use a client that streams events',
    );
  }
}

export function eventStreamSerdeProvider(): never {
  throw new EventStreamsNotBundledError();
}

export class EventStreamSerde {
  constructor() {
    throw new EventStreamsNotBundledError();
  }
}

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** True when a transaction failed only because one of its condition checks did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

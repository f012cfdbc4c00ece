/**
 * The one table's keys and indexes, shared by the CDK stack and by the local stack/tests that create the
 * table in DynamoDB Local, so the two cannot drift apart.
 *
 * Items (pk / sk):
 *   ARTIFACT#<id> / META   filter fields + index keys (small, so indexes project ALL cheaply)
 *   ARTIFACT#<id> / BODY   the artifact JSON, gzip-compressed (bodies up to 1 MiB must fit DynamoDB's 400 KB)
 *   USER#<login>  / USER   a user
 *   TOKEN#<sha256> / TOKEN what a token grants; read by key, strongly consistent, on every request
 *   AUDIT#<id>    / AUDIT  one audit record
 */
export const KEY = { partition: 'pk', sort: 'sk' } as const;

export interface IndexSpec {
  name: string;
  partition: string;
  sort: string;
}

/** `kind` lists every item of one kind in order; the `time` indexes serve artifact filters newest-first. */
export const INDEX = {
  kind: { name: 'byKind', partition: 'kindPk', sort: 'kindSk' },
  repo: { name: 'byRepo', partition: 'repoPk', sort: 'timeSk' },
  repoBranch: { name: 'byRepoBranch', partition: 'repoBranchPk', sort: 'timeSk' },
  repoEvent: { name: 'byRepoEvent', partition: 'repoEventPk', sort: 'timeSk' },
  sha: { name: 'bySha', partition: 'shaPk', sort: 'timeSk' },
} as const satisfies Record<string, IndexSpec>;

export const INDEXES: readonly IndexSpec[] = Object.values(INDEX);

/** DynamoDB deletes expired token grants itself; Ferry also checks expiry on every request. */
export const TTL_ATTRIBUTE = 'ttl';

/**
 * Ferry's own CloudWatch metrics: one list of names, read by the functions that emit them (EMF through
 * lib/log/metrics.ts) and by the CDK dashboard and alarms (cdk/ferry-dashboard.ts, cdk/ferry-alarms.ts),
 * so a renamed metric cannot leave an alarm watching nothing.
 */
export const METRICS_NAMESPACE = 'Ferry';
/** Every metric carries this `service` dimension (Powertools' default dimension); alarms must name it. */
export const METRICS_SERVICE = 'ferry';
/** Dimension of {@link METRIC.requests}: the request's intent (deploy, rollback, delete, init). */
export const KIND_DIMENSION = 'kind';

export const METRIC = {
  /** Release requests the dispatcher relayed to the write queue, by kind (a count). */
  requests: 'ReleaseRequests',
  /** Requests the writer committed to the gitops repository (a count). */
  commits: 'Commits',
  /** Requests that reached `succeeded` (a count). */
  succeeded: 'ReleasesSucceeded',
  /** Requests that reached `failed`, at the writer or by Flux's verdict (a count). */
  failed: 'ReleasesFailed',
  /** From a request's recording to its gitops commit (milliseconds). */
  requestToCommit: 'RequestToCommitLatency',
  /** From a request's gitops commit to Flux's verdict on it (milliseconds). */
  commitToReconciled: 'CommitToReconciledLatency',
  /** A writer's push rejected because another writer pushed first; it fetches and re-applies (a count). */
  pushRaces: 'PushRaces',
  /** How long a write waited on the FIFO queue before the writer received it (milliseconds). */
  queueAge: 'WriteQueueAge',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

import { OIDC_EXCHANGE_SCHEMA } from '../app/oidc.ts';
import { EVALUATE_SCHEMA } from '../app/policies.ts';
import { AUDIT_QUERY, USER_QUERY, USER_SCHEMA } from '../app/users.ts';
import { ARTIFACT_SCHEMA } from '../domain/artifact.ts';
import {
  APPROVAL_RULE_SCHEMA,
  DECISION_SCHEMA,
  FREEZE_SCHEMA,
  HALT_SCHEMA,
  OVERRIDE_SCHEMA,
} from '../domain/gate.ts';
import { POLICY_SCHEMA } from '../domain/policy-rules.ts';
import { ARTIFACT_QUERY } from '../domain/query.ts';
import {
  ARTIFACT_TRACK_QUERY,
  DEPLOY_QUERY,
  DEPLOY_SCHEMA,
  ENV_INIT_SCHEMA,
  HISTORY_QUERY,
  RECENT_QUERY,
  RELEASE_TRACK_QUERY,
  ROLLBACK_SCHEMA,
  STATUS_QUERY,
  TARGET_SCHEMA,
} from '../domain/release-input.ts';
import type { JsonSchema, QuerySpec } from '../domain/schema.ts';
import type { RouteKey } from './routes.ts';

/**
 * What each route of lib/http/routes.ts takes and answers, for the generated OpenAPI document. Inputs are
 * the very descriptions the handlers' parsers read (imported, never restated); answers name schemas of
 * RESPONSES. `Record<RouteKey, …>` makes a route without an entry a type error.
 */
export interface RouteDoc {
  summary: string;
  tag: 'gimlet' | 'ferry' | 'users' | 'hooks';
  /** `token` (Bearer or access_token), `none`, `hmac` (Flux: X-Signature or a flux token), `github`. */
  auth: 'token' | 'none' | 'hmac' | 'github' | 'slack';
  query?: QuerySpec;
  /** Parameters read from the query string or, equally, from a JSON body (GimletD's rollback/delete). */
  queryOrBody?: JsonSchema;
  body?: JsonSchema;
  /** Status → schema name in RESPONSES (`null`: no body). */
  responses: Record<number, string | null>;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str: JsonSchema = { type: 'string' };
const int: JsonSchema = { type: 'integer' };

const RELEASE_VIEW: JsonSchema = {
  type: 'object',
  description:
    'Gimlet’s dx.Release with Ferry’s additions; every Gimlet string field is a string, never null',
  required: [
    'app',
    'env',
    'artifactId',
    'triggeredBy',
    'version',
    'gitopsRef',
    'gitopsRepo',
    'gitopsCommitStatus',
    'gitopsCommitStatusDesc',
    'created',
  ],
  properties: {
    app: str,
    env: str,
    artifactId: str,
    triggeredBy: str,
    version: { oneOf: [ref('Version'), { type: 'null' }] },
    gitopsRef: str,
    gitopsRepo: str,
    gitopsCommitStatus: str,
    gitopsCommitStatusDesc: str,
    created: int,
    rolledBack: { type: 'boolean' },
    requestId: str,
    intent: { type: 'string', enum: ['deploy', 'rollback', 'delete', 'init'] },
    targetSha: str,
    hold: { type: 'object' },
    cause: str,
  },
};

const TRACK: JsonSchema = {
  type: 'object',
  description: 'Gimlet’s dx.ReleaseStatus: the gimlet CLI’s track loop reads these words',
  required: ['status', 'statusDesc', 'results'],
  properties: {
    status: { type: 'string', enum: ['new', 'processed', 'error'] },
    statusDesc: str,
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'app',
          'env',
          'hash',
          'status',
          'statusDesc',
          'gitopsCommitStatus',
          'gitopsCommitStatusDesc',
        ],
        properties: {
          app: str,
          env: str,
          hash: str,
          status: { type: 'string', enum: ['success', 'failure'] },
          statusDesc: str,
          gitopsCommitStatus: {
            type: 'string',
            enum: ['', 'NotReconciled', 'Progressing', 'ReconciliationSucceeded', 'ReconciliationFailed'],
          },
          gitopsCommitStatusDesc: str,
        },
      },
    },
  },
};

const STATE = {
  type: 'string',
  enum: [
    'requested',
    'queued',
    'waiting',
    'committed',
    'unchanged',
    'reconciling',
    'succeeded',
    'failed',
    'superseded',
  ],
} as const;

/** Answer bodies, by name (components.schemas). */
export const RESPONSES: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str } },
    },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
  OpenApi: { type: 'object', required: ['openapi', 'paths'] },
  Version: {
    type: 'object',
    required: ['repositoryName', 'sha', 'event'],
    properties: {
      repositoryName: str,
      sha: str,
      event: { type: 'string', enum: ['push', 'tag', 'pr'] },
      created: int,
    },
  },
  Artifact: {
    type: 'object',
    required: ['id', 'created', 'version', 'context', 'vars', 'items', 'environments'],
    properties: {
      id: str,
      created: int,
      version: ref('Version'),
      context: { type: 'object', additionalProperties: str },
      vars: { type: 'object', additionalProperties: str },
      items: { type: 'array', items: { type: 'object' } },
      environments: {
        type: 'array',
        items: { type: 'object', required: ['app', 'env'], properties: { app: str, env: str } },
      },
    },
  },
  Artifacts: { type: 'array', items: ref('Artifact') },
  Release: RELEASE_VIEW,
  Releases: { type: 'array', items: ref('Release') },
  Status: {
    type: 'object',
    description: 'app → what it runs; null for an app asked for by name that is not deployed',
    additionalProperties: { oneOf: [ref('Release'), { type: 'null' }] },
  },
  Track: TRACK,
  Created: {
    type: 'object',
    required: ['id'],
    properties: { id: str, state: STATE },
  },
  Request: {
    type: 'object',
    required: [
      'id',
      'intent',
      'env',
      'app',
      'state',
      'states',
      'triggeredBy',
      'createdAt',
      'done',
      'gitopsRepo',
    ],
    properties: {
      id: str,
      intent: { type: 'string', enum: ['deploy', 'rollback', 'delete', 'init'] },
      env: str,
      app: str,
      state: STATE,
      states: { type: 'array', items: { type: 'object', required: ['state', 'at'] } },
      triggeredBy: str,
      createdAt: str,
      done: { type: 'boolean' },
      outcome: { type: 'string', enum: ['success', 'failure'] },
      gitopsSha: str,
      reason: str,
      gitopsRepo: str,
      gate: {
        type: 'object',
        description: 'waiting: each unmet condition (halt, freeze with until, approval, order) in words',
        properties: {
          conditions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kind', 'reason'],
              properties: {
                kind: { type: 'string', enum: ['halt', 'freeze', 'approval', 'order'] },
                reason: str,
                until: str,
              },
            },
          },
          parks: int,
          releasedAt: str,
        },
      },
    },
  },
  Governance: {
    type: 'object',
    required: ['now', 'halts', 'freezes', 'approvalRules', 'waiting'],
    properties: {
      now: str,
      halts: { type: 'array', items: ref('Halt') },
      freezes: { type: 'array', items: ref('Freeze') },
      approvalRules: { type: 'array', items: ref('ApprovalRule') },
      waiting: { type: 'array', items: { type: 'object', required: ['id', 'env', 'app', 'conditions'] } },
    },
  },
  Halt: {
    type: 'object',
    required: ['env', 'by', 'at', 'reason'],
    properties: { env: str, by: str, at: str, reason: str },
  },
  Freeze: {
    type: 'object',
    required: ['id', 'env', 'reason', 'timeZone', 'start', 'duration'],
    properties: {
      id: str,
      env: str,
      app: str,
      reason: str,
      timeZone: str,
      start: str,
      duration: str,
      rrule: str,
    },
  },
  ApprovalRule: {
    type: 'object',
    required: ['env', 'required', 'group', 'expiresAfter'],
    properties: { env: str, required: int, group: str, expiresAfter: str },
  },
  Resumed: {
    type: 'object',
    required: ['env', 'resumed'],
    properties: { env: str, resumed: ref('Halt'), sweep: ref('Sweep') },
  },
  Sweep: {
    type: 'object',
    required: ['released', 'rejected', 'waiting'],
    properties: {
      released: { type: 'array', items: str },
      rejected: { type: 'array', items: str },
      waiting: int,
    },
  },
  Decision: {
    type: 'object',
    required: ['id', 'decision', 'state', 'approvals', 'required'],
    properties: {
      id: str,
      decision: { type: 'string', enum: ['approve', 'reject'] },
      state: STATE,
      approvals: int,
      required: int,
      text: str,
    },
  },
  Override: {
    type: 'object',
    required: ['id', 'override', 'sweep'],
    properties: { id: str, override: { type: 'object' }, sweep: ref('Sweep') },
  },
  DeployPreview: {
    type: 'object',
    required: ['dryRun', 'env', 'app', 'artifactId', 'currentGitopsSha', 'changes', 'diff'],
    properties: {
      dryRun: { const: true },
      currentGitopsSha: { type: ['string', 'null'] },
      changes: { type: 'array' },
      diff: str,
    },
  },
  ReleaseDiff: {
    type: 'object',
    required: ['id', 'env', 'app', 'intent', 'gitopsSha', 'kept', 'changes', 'diff'],
    properties: {
      id: str,
      env: str,
      app: str,
      intent: { type: 'string', enum: ['deploy', 'rollback', 'delete', 'init'] },
      gitopsSha: str,
      kept: { type: 'boolean', description: 'false for a commit made before Ferry kept diffs' },
      changes: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'change'],
          properties: { path: str, change: { type: 'string', enum: ['added', 'modified', 'removed'] } },
        },
      },
      diff: str,
      truncated: { type: 'boolean' },
    },
  },
  AppResumed: {
    type: 'object',
    required: ['env', 'app', 'resumed'],
    properties: { env: str, app: str, resumed: { const: true } },
  },
  GitopsRepo: { type: 'object', required: ['gitopsRepo'], properties: { gitopsRepo: str } },
  User: {
    type: 'object',
    required: ['login', 'role', 'admin', 'createdAt', 'createdBy', 'tokenId'],
    properties: {
      login: str,
      role: { type: 'string', enum: ['admin', 'deployer', 'ci', 'flux', 'viewer'] },
      admin: { type: 'boolean' },
      token: { type: 'string', description: 'only in the answer that issued it' },
    },
  },
  Users: { type: 'array', items: ref('User') },
  OidcToken: {
    type: 'object',
    required: ['token', 'tokenId', 'login', 'role', 'environments', 'expiresAt'],
    properties: {
      token: { type: 'string', description: 'a Ferry token; send it as Authorization: Bearer' },
      tokenId: str,
      login: { type: 'string', description: 'github:<owner>/<repository>' },
      role: { type: 'string', enum: ['deployer', 'ci', 'viewer'] },
      environments: { type: 'array', items: str },
      expiresAt: { type: 'string', format: 'date-time', description: 'at most 15 minutes away' },
    },
  },
  Me: {
    type: 'object',
    required: ['login', 'role', 'may'],
    properties: {
      login: str,
      role: str,
      environments: { type: 'array', items: str },
      may: { type: 'array', items: str },
    },
  },
  Environments: {
    type: 'object',
    required: ['environments'],
    properties: {
      environments: {
        type: 'array',
        items: {
          type: 'object',
          required: ['env', 'apps'],
          properties: { env: str, apps: { type: 'array', items: { type: 'object' } } },
        },
      },
    },
  },
  Requests: { type: 'array', items: ref('Request') },
  Audit: { type: 'array', items: { type: 'object' } },
  Policy: {
    type: 'object',
    required: ['kind', 'id', 'env', 'branch', 'source'],
    properties: { kind: { type: 'string', enum: ['auto-release', 'branch-restriction'] } },
  },
  Policies: { type: 'array', items: ref('Policy') },
  Decisions: {
    type: 'array',
    items: { type: 'object', required: ['env', 'app', 'matched', 'reasons'] },
  },
  FluxReceipt: {
    type: 'object',
    required: ['status', 'env'],
    properties: { status: { type: 'string', enum: ['accepted', 'duplicate'] }, env: str },
  },
  WebhookResult: { type: 'object' },
};

const errors = { 400: 'Error', 401: 'Error', 403: 'Error' } as const;

export const ROUTE_DOCS: Record<RouteKey, RouteDoc> = {
  'GET /': { summary: 'Health', tag: 'gimlet', auth: 'none', responses: { 200: 'Health' } },
  'GET /api/openapi.json': {
    summary: 'This document',
    tag: 'ferry',
    auth: 'none',
    responses: { 200: 'OpenApi' },
  },
  'POST /api/artifact': {
    summary: 'Store a release artifact (CI); policies then decide what it deploys',
    tag: 'gimlet',
    auth: 'token',
    body: ARTIFACT_SCHEMA,
    responses: { 201: 'Artifact', ...errors, 413: 'Error' },
  },
  'GET /api/artifacts': {
    summary: 'Find artifacts, newest first',
    tag: 'gimlet',
    auth: 'token',
    query: ARTIFACT_QUERY,
    responses: { 200: 'Artifacts', ...errors },
  },
  'GET /api/artifacts/{id+}': {
    summary: 'One artifact',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'Artifact', ...errors, 404: 'Error' },
  },
  'POST /api/user': {
    summary: 'Create a user and issue its token (admin)',
    tag: 'users',
    auth: 'token',
    body: USER_SCHEMA,
    responses: { 201: 'User', ...errors, 409: 'Error' },
  },
  'GET /api/me': {
    summary: 'The caller: login, role, environments and what the role may do (the dashboard reads it)',
    tag: 'users',
    auth: 'token',
    responses: { 200: 'Me', 401: 'Error' },
  },
  'POST /api/token/oidc': {
    summary:
      'Exchange a GitHub Actions OIDC token for a short-lived Ferry token scoped by FERRY_OIDC_RULES (401: token refused, 403: no rule grants its claims)',
    tag: 'users',
    auth: 'none',
    body: OIDC_EXCHANGE_SCHEMA,
    responses: { 201: 'OidcToken', 400: 'Error', 401: 'Error', 403: 'Error' },
  },
  'GET /api/environments': {
    summary: 'Every environment × app with its running release and the state of the request behind it',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'Environments', ...errors },
  },
  'GET /api/requests': {
    summary: 'The newest release requests across the environments the token may see, newest first',
    tag: 'ferry',
    auth: 'token',
    query: RECENT_QUERY,
    responses: { 200: 'Requests', ...errors },
  },
  'GET /api/users': {
    summary: 'List users (admin)',
    tag: 'users',
    auth: 'token',
    responses: { 200: 'Users', ...errors },
  },
  'GET /api/user/{login}': {
    summary: 'One user; withToken=true replaces its token (admin)',
    tag: 'users',
    auth: 'token',
    query: USER_QUERY,
    responses: { 200: 'User', ...errors, 404: 'Error' },
  },
  'DELETE /api/user/{login}': {
    summary: 'Delete a user; its token stops at once (admin)',
    tag: 'users',
    auth: 'token',
    responses: { 204: null, ...errors, 404: 'Error', 409: 'Error' },
  },
  'GET /api/audit': {
    summary: 'Recent audit records (admin)',
    tag: 'users',
    auth: 'token',
    query: AUDIT_QUERY,
    responses: { 200: 'Audit', ...errors },
  },
  'POST /api/releases': {
    summary: 'Release an artifact (or promote) to an environment; dryRun=true shows the diff',
    tag: 'gimlet',
    auth: 'token',
    query: DEPLOY_QUERY,
    body: DEPLOY_SCHEMA,
    responses: { 201: 'Created', 200: 'DeployPreview', ...errors, 404: 'Error', 409: 'Error' },
  },
  'GET /api/releases': {
    summary: 'Release history of an environment (deploys) or of one app (also rollbacks and deletes)',
    tag: 'gimlet',
    auth: 'token',
    query: HISTORY_QUERY,
    responses: { 200: 'Releases', ...errors },
  },
  'GET /api/releases/{id}': {
    summary: 'One release request and its state',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'Request', ...errors, 404: 'Error' },
  },
  'GET /api/releases/{id}/diff': {
    summary: 'What a release request’s gitops commit changed (files and unified diff), kept with the commit',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'ReleaseDiff', ...errors, 404: 'Error' },
  },
  'POST /api/releases/{id}/requeue': {
    summary:
      'Request a failed request again (one parked in the dead-letter queue); refused when a newer request for the app was written since',
    tag: 'ferry',
    auth: 'token',
    responses: { 201: 'Created', ...errors, 404: 'Error', 409: 'Error' },
  },
  'POST /api/rollback': {
    summary: 'Restore an app to its content at a gitops commit (one new commit); holds policy deploys',
    tag: 'gimlet',
    auth: 'token',
    queryOrBody: ROLLBACK_SCHEMA,
    responses: { 201: 'Created', ...errors },
  },
  'POST /api/delete': {
    summary: 'Delete an app from an environment; answers once the writer is done (or after 20 s)',
    tag: 'gimlet',
    auth: 'token',
    queryOrBody: TARGET_SCHEMA,
    responses: { 201: 'Created', ...errors, 422: 'Error' },
  },
  'POST /api/resume': {
    summary: 'Lift the hold a rollback put on policy deploys',
    tag: 'ferry',
    auth: 'token',
    queryOrBody: TARGET_SCHEMA,
    responses: { 200: 'AppResumed', ...errors, 404: 'Error' },
  },
  'GET /api/governance': {
    summary: 'Halts, freeze windows (active and next), approval rules and the requests waiting at the gate',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'Governance', ...errors },
  },
  'POST /api/halts': {
    summary: 'Stop the line: hold every release to an environment (or * for all), queued ones included',
    tag: 'ferry',
    auth: 'token',
    body: HALT_SCHEMA,
    responses: { 201: 'Halt', ...errors },
  },
  'DELETE /api/halts/{env}': {
    summary: 'Resume a stopped environment; waiting releases proceed in their original order',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'Resumed', ...errors, 404: 'Error' },
  },
  'POST /api/freezes': {
    summary: 'Create or replace a freeze window (one-off or RRULE-recurring, in a time zone) (admin)',
    tag: 'ferry',
    auth: 'token',
    body: FREEZE_SCHEMA,
    responses: { 201: 'Freeze', ...errors },
  },
  'DELETE /api/freezes/{id}': {
    summary: 'Delete a freeze window (admin); releases it held proceed',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'Sweep', ...errors, 404: 'Error' },
  },
  'POST /api/approval-rules': {
    summary: 'Require N approvals from a group for releases to an environment (admin)',
    tag: 'ferry',
    auth: 'token',
    body: APPROVAL_RULE_SCHEMA,
    responses: { 201: 'ApprovalRule', ...errors },
  },
  'DELETE /api/approval-rules/{env}': {
    summary: 'Drop an environment’s approval rule (admin)',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'Sweep', ...errors, 404: 'Error' },
  },
  'POST /api/releases/{id}/approve': {
    summary: 'Approve a pending release (members of the rule’s group; never the requester or commit author)',
    tag: 'ferry',
    auth: 'token',
    body: DECISION_SCHEMA,
    responses: { 200: 'Decision', ...errors, 404: 'Error', 409: 'Error' },
  },
  'POST /api/releases/{id}/reject': {
    summary: 'Reject a pending release: it fails, whatever approvals it has',
    tag: 'ferry',
    auth: 'token',
    body: DECISION_SCHEMA,
    responses: { 200: 'Decision', ...errors, 404: 'Error', 409: 'Error' },
  },
  'POST /api/releases/{id}/override': {
    summary: 'Let one release through a freeze window, with a reason (admin; audited and announced)',
    tag: 'ferry',
    auth: 'token',
    body: OVERRIDE_SCHEMA,
    responses: { 200: 'Override', ...errors, 404: 'Error', 409: 'Error' },
  },
  'POST /api/slack/interactions': {
    summary: 'Slack interactivity: Approve/Reject buttons (X-Slack-Signature v0, timestamp within 5 min)',
    tag: 'hooks',
    auth: 'slack',
    body: { type: 'object', description: 'form-encoded payload=<block_actions JSON>' },
    responses: { 200: 'Decision', 400: 'Error', 401: 'Error', 403: 'Error', 404: 'Error', 409: 'Error' },
  },
  'GET /api/status': {
    summary: 'What each app of an environment runs now',
    tag: 'gimlet',
    auth: 'token',
    query: STATUS_QUERY,
    responses: { 200: 'Status', ...errors },
  },
  'GET /api/eventReleaseTrack': {
    summary: 'Track a release, rollback or delete request (gimlet release track)',
    tag: 'gimlet',
    auth: 'token',
    query: RELEASE_TRACK_QUERY,
    responses: { 200: 'Track', ...errors, 404: 'Error' },
  },
  'GET /api/eventArtifactTrack': {
    summary: 'Track the releases an artifact’s policies made (gimlet artifact track)',
    tag: 'gimlet',
    auth: 'token',
    query: ARTIFACT_TRACK_QUERY,
    responses: { 200: 'Track', ...errors, 404: 'Error' },
  },
  'GET /api/gitopsRepo': {
    summary: 'The gitops repository',
    tag: 'gimlet',
    auth: 'token',
    responses: { 200: 'GitopsRepo', ...errors },
  },
  'POST /api/environments/{env}/init': {
    summary: 'Write <env>/flux/ (Flux Provider and Alert) through the writer (admin)',
    tag: 'ferry',
    auth: 'token',
    queryOrBody: ENV_INIT_SCHEMA,
    responses: { 201: 'Created', ...errors },
  },
  'GET /api/policies': {
    summary: 'Policies in force',
    tag: 'ferry',
    auth: 'token',
    responses: { 200: 'Policies', ...errors },
  },
  'POST /api/policies': {
    summary: 'Create or replace a policy',
    tag: 'ferry',
    auth: 'token',
    body: POLICY_SCHEMA,
    responses: { 201: 'Policy', ...errors, 409: 'Error' },
  },
  'POST /api/policies/evaluate': {
    summary: 'What the policies would do with a stored artifact (writes nothing)',
    tag: 'ferry',
    auth: 'token',
    body: EVALUATE_SCHEMA,
    responses: { 200: 'Decisions', ...errors, 404: 'Error' },
  },
  'DELETE /api/policies/{id}': {
    summary: 'Delete a policy',
    tag: 'ferry',
    auth: 'token',
    responses: { 204: null, ...errors, 404: 'Error' },
  },
  'POST /api/github-webhook': {
    summary: 'GitHub webhook (branch deleted, pull request closed): cleanup policies',
    tag: 'hooks',
    auth: 'github',
    body: { type: 'object', description: 'GitHub’s delete / pull_request payload' },
    responses: { 200: 'WebhookResult', 400: 'Error', 401: 'Error' },
  },
  'POST /api/flux-events': {
    summary: 'Flux notification-controller (generic-hmac or generic provider)',
    tag: 'hooks',
    auth: 'hmac',
    query: { env: { description: 'environment (else read from the event)', schema: { type: 'string' } } },
    body: { type: 'object', description: 'fluxcd/pkg event (involvedObject, reason, message, metadata)' },
    responses: { 200: 'FluxReceipt', 400: 'Error', 401: 'Error', 403: 'Error', 413: 'Error' },
  },
};

import type { ApiDeps } from '../lib/app/deps.ts';
import {
  decide,
  deleteApprovalRule,
  deleteFreeze,
  governanceView,
  haltEnvironment,
  overrideFreeze,
  putApprovalRule,
  putFreeze,
  resumeEnvironment,
} from '../lib/app/governance.ts';
import { applyPolicy, deletePolicy, explainPolicies, listPolicies } from '../lib/app/policies.ts';
import {
  currentStatus,
  environmentMatrix,
  listHistory,
  recentRequests,
  releaseDiff,
  requestView,
  trackArtifact,
  trackRelease,
} from '../lib/app/release-views.ts';
import {
  getRequest,
  requestDelete,
  requestDeploy,
  requestEnvInit,
  requestRollback,
  requeueRequest,
  resumeApp,
} from '../lib/app/releases.ts';
import { receiveSlackInteraction } from '../lib/app/slack-interactions.ts';
import { onColdStart } from '../lib/compose/lambda.ts';
import { authorize } from '../lib/domain/access.ts';
import { single } from '../lib/domain/query.ts';
import { ARTIFACT_TRACK_QUERY, DEPLOY_QUERY, RELEASE_TRACK_QUERY } from '../lib/domain/release-input.ts';
import { checkQuery, type QuerySpec } from '../lib/domain/schema.ts';
import { requiredString } from '../lib/domain/validate.ts';
import { makeHttpHandler } from '../lib/http/handler.ts';
import { bodyBytes, header, pathParam, queryOrBody, queryParams, readJsonBody } from '../lib/http/request.ts';
import { json, noContent } from '../lib/http/response.ts';

export const makeHandler = (deps: ApiDeps) => {
  const param = (event: Parameters<typeof queryParams>[0], spec: QuerySpec, name: string) => {
    const params = queryParams(event);
    checkQuery(params, spec);
    return requiredString(single(params, name), name);
  };
  const created = (request: { id: string }) => json(201, { id: request.id });
  const optionalBody = (event: Parameters<typeof readJsonBody>[0]) => (event.body ? readJsonBody(event) : {});
  return makeHttpHandler(deps, {
    open: {
      // Signed by Slack's signing secret, not by a Ferry token.
      'POST /api/slack/interactions': async (event) => {
        const timestamp = header(event, 'x-slack-request-timestamp');
        const signature = header(event, 'x-slack-signature');
        const result = await receiveSlackInteraction(
          deps,
          await deps.slackSigningSecret?.(),
          {
            body: bodyBytes(event),
            ...(timestamp !== undefined ? { timestamp } : {}),
            ...(signature !== undefined ? { signature } : {}),
          },
          event.requestContext.requestId,
        );
        return json(200, result);
      },
    },
    routes: {
      'GET /api/governance': async ({ call }) => json(200, await governanceView(deps, call)),
      'POST /api/halts': async ({ event, call }) =>
        json(201, await haltEnvironment(deps, call, readJsonBody(event))),
      'DELETE /api/halts/{env}': async ({ event, call }) =>
        json(200, await resumeEnvironment(deps, call, pathParam(event, 'env'))),
      'POST /api/freezes': async ({ event, call }) =>
        json(201, await putFreeze(deps, call, readJsonBody(event))),
      'DELETE /api/freezes/{id}': async ({ event, call }) =>
        json(200, await deleteFreeze(deps, call, pathParam(event, 'id'))),
      'POST /api/approval-rules': async ({ event, call }) =>
        json(201, await putApprovalRule(deps, call, readJsonBody(event))),
      'DELETE /api/approval-rules/{env}': async ({ event, call }) =>
        json(200, await deleteApprovalRule(deps, call, pathParam(event, 'env'))),
      'POST /api/releases/{id}/approve': async ({ event, call }) =>
        json(200, await decide(deps, call, pathParam(event, 'id'), 'approve', optionalBody(event))),
      'POST /api/releases/{id}/reject': async ({ event, call }) =>
        json(200, await decide(deps, call, pathParam(event, 'id'), 'reject', optionalBody(event))),
      'POST /api/releases/{id}/override': async ({ event, call }) =>
        json(200, await overrideFreeze(deps, call, pathParam(event, 'id'), readJsonBody(event))),
      'POST /api/releases': async ({ event, call }) => {
        const params = queryParams(event);
        checkQuery(params, DEPLOY_QUERY);
        const dryRun = single(params, 'dryRun') === 'true';
        const result = await requestDeploy(
          deps,
          call,
          readJsonBody(event),
          header(event, 'Idempotency-Key'),
          {
            dryRun,
          },
        );
        return 'dryRun' in result ? json(200, result) : created(result);
      },
      'GET /api/policies': async ({ call }) => json(200, await listPolicies(deps, call)),
      'POST /api/policies/evaluate': async ({ event, call }) =>
        json(200, await explainPolicies(deps, call, readJsonBody(event))),
      'POST /api/policies': async ({ event, call }) =>
        json(201, await applyPolicy(deps, call, readJsonBody(event))),
      'DELETE /api/policies/{id}': async ({ event, call }) => {
        await deletePolicy(deps, call, pathParam(event, 'id'));
        return noContent();
      },
      'POST /api/rollback': async ({ event, call }) =>
        created(await requestRollback(deps, call, queryOrBody(event))),
      'POST /api/delete': async ({ event, call }) => {
        const request = await requestDelete(deps, call, queryOrBody(event));
        return json(201, { id: request.id, state: request.state });
      },
      'POST /api/resume': async ({ event, call }) =>
        json(200, await resumeApp(deps, call, queryOrBody(event))),
      'GET /api/releases': async ({ event, call }) =>
        json(200, await listHistory(deps, call, queryParams(event))),
      'GET /api/releases/{id}': async ({ event, call }) => {
        const request = await getRequest(deps, call, pathParam(event, 'id'));
        return json(200, requestView(deps, request, await deps.flux.environment(request.env)));
      },
      'GET /api/releases/{id}/diff': async ({ event, call }) =>
        json(200, await releaseDiff(deps, call, pathParam(event, 'id'))),
      'POST /api/releases/{id}/requeue': async ({ event, call }) =>
        created(await requeueRequest(deps, call, pathParam(event, 'id'))),
      'POST /api/environments/{env}/init': async ({ event, call }) =>
        created(await requestEnvInit(deps, call, pathParam(event, 'env'), queryOrBody(event))),
      'GET /api/status': async ({ event, call }) =>
        json(200, await currentStatus(deps, call, queryParams(event))),
      'GET /api/eventReleaseTrack': async ({ event, call }) =>
        json(200, await trackRelease(deps, call, param(event, RELEASE_TRACK_QUERY, 'id'))),
      'GET /api/eventArtifactTrack': async ({ event, call }) =>
        json(200, await trackArtifact(deps, call, param(event, ARTIFACT_TRACK_QUERY, 'artifactId'))),
      'GET /api/environments': async ({ call }) => json(200, await environmentMatrix(deps, call)),
      'GET /api/requests': async ({ event, call }) =>
        json(200, await recentRequests(deps, call, queryParams(event))),
      'GET /api/gitopsRepo': async ({ call }) => {
        authorize(call.principal, 'release:read');
        return json(200, { gitopsRepo: deps.gitopsRepo });
      },
    },
  });
};

export const handler = onColdStart(makeHandler);

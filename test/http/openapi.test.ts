import { createHmac } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArtifact } from '../../lib/domain/artifact.ts';
import { fieldsOf } from '../../lib/domain/schema.ts';
import { ROUTE_DOCS } from '../../lib/http/api-docs.ts';
import { API_ROUTES, type RouteKey, splitRouteKey } from '../../lib/http/routes.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { envKey, fluxEventBody, postFluxEvent, sign } from '../support/flux.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/**
 * GET /api/openapi.json is a valid OpenAPI 3.1 document (checked by @seriousme/openapi-schema-validator),
 * describes every route of the route table, and every route's real answers on the local stack validate
 * against the schema it documents for that status (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses).
 */
const FLUX_KEY = 'openapi-flux-key';
const WEBHOOK_SECRET = 'openapi-webhook-secret';
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: oa\n';
let t: TestStack;
let doc: any;
const checked = new Map<RouteKey, number[]>();

beforeAll(async () => {
  t = await startTestStack({
    fluxHmacKey: FLUX_KEY,
    githubWebhookSecret: WEBHOOK_SECRET,
    slackSigningSecret: 'openapi-slack-secret',
  });
  doc = (await fetch(`${t.url}/api/openapi.json`).then((r) => r.json())) as any;
}, 90_000);
afterAll(async () => t?.close());

function validatorFor(schema: unknown) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  return ajv.compile({ ...(schema as object), components: doc.components });
}

/** Validates one real answer against the document's schema for its route and status. */
function conforms(routeKey: RouteKey, status: number, body: unknown): void {
  const { method, path } = splitRouteKey(routeKey);
  const operation = doc.paths[path.replace('{id+}', '{id}')]?.[method.toLowerCase()];
  expect(operation, `${routeKey} documented`).toBeDefined();
  const response = operation.responses[String(status)];
  expect(response, `${routeKey} documents status ${status}`).toBeDefined();
  const schema = response.content?.['application/json']?.schema;
  if (schema === undefined) expect(body).toBeUndefined();
  else {
    const validate = validatorFor(schema);
    expect(validate(body), `${routeKey} ${status}: ${JSON.stringify(validate.errors)}`).toBe(true);
  }
  checked.set(routeKey, [...(checked.get(routeKey) ?? []), status]);
}

async function call(routeKey: RouteKey, path: string, options: Parameters<TestStack['request']>[2] = {}) {
  const { method } = splitRouteKey(routeKey);
  const res = await t.request(method, path, options);
  conforms(routeKey, res.status, res.body);
  return res;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('describes exactly the routes of the route table', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const routes = API_ROUTES.map((r) => r.routeKey.replace('{id+}', '{id}'));
    expect(documented.sort()).toEqual([...routes].sort());
  });

  it('documents the fields the handlers accept, from the same descriptions', async () => {
    const body = doc.paths['/api/artifact'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties).sort()).toEqual(
      fieldsOf(ROUTE_DOCS['POST /api/artifact'].body ?? {}).sort(),
    );
    const manifest = body.properties.environments.items.properties;
    expect(manifest.tenant).toBeDefined();
    // A field the document does not list is one the parser refuses, and the other way round.
    expect(() => parseArtifact({ ...artifact(), undocumented: 1 })).toThrow('undocumented: unknown field');
    const rollback = doc.paths['/api/rollback'].post.parameters.map((p: any) => p.name);
    expect(rollback).toEqual(['env', 'app', 'sha']);
    const history = doc.paths['/api/releases'].get.parameters.map((p: any) => p.name);
    expect(history).toEqual(['env', 'app', 'limit', 'offset', 'since', 'until', 'git-repo']);
    const res = await t.request('GET', '/api/releases?env=staging&undocumented=1');
    expect(res.body.error.message).toContain('undocumented: unknown query parameter');
  });

  it('every route answers as documented, on success and on refusal', async () => {
    await call('GET /', '/');
    await call('GET /api/openapi.json', '/api/openapi.json');
    // Artifacts
    const shipped = await call('POST /api/artifact', '/api/artifact', {
      body: artifact({}, [
        {
          app: 'oa',
          env: 'staging',
          deploy: { branch: 'main', event: 'push' },
          manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: oa\n  namespace: default\n',
        },
      ]),
    });
    await call('POST /api/artifact', '/api/artifact', { body: { version: {} } });
    await call('POST /api/artifact', '/api/artifact', { body: artifact(), token: 'wrong' });
    await call('GET /api/artifacts', '/api/artifacts?repository=acme/api&limit=2');
    await call('GET /api/artifacts', '/api/artifacts?limit=x');
    await call('GET /api/artifacts/{id+}', `/api/artifacts/${shipped.body.id}`);
    await call('GET /api/artifacts/{id+}', '/api/artifacts/acme/api-missing');
    // Tracking the artifact: new at first or processed, always in Gimlet's shape.
    let tracked = await call(
      'GET /api/eventArtifactTrack',
      `/api/eventArtifactTrack?artifactId=${shipped.body.id}`,
    );
    for (let i = 0; i < 100 && (tracked.body.status === 'new' || tracked.body.results.length === 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      tracked = await call(
        'GET /api/eventArtifactTrack',
        `/api/eventArtifactTrack?artifactId=${shipped.body.id}`,
      );
    }
    await call('GET /api/eventArtifactTrack', '/api/eventArtifactTrack?artifactId=acme/api-missing');
    // Releases
    const second = await t.ship(
      artifact({}, [
        {
          app: 'oa',
          env: 'staging',
          manifests:
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: oa\n  namespace: default\n  labels: {v: "2"}\n',
        },
      ]),
    );
    await call('POST /api/releases', '/api/releases?dryRun=true', {
      body: { env: 'staging', app: 'oa', artifactId: second.id },
    });
    const made = await call('POST /api/releases', '/api/releases', {
      body: { env: 'staging', app: 'oa', artifactId: second.id, tenant: '' },
    });
    await call('POST /api/releases', '/api/releases', {
      body: { env: 'staging', artifactId: 'acme/api-missing' },
    });
    await call('POST /api/releases', '/api/releases', {
      body: { env: 'staging', app: 'oa', artifactId: second.id, tenant: 'x' },
    });
    const done = await t.settle(made.body.id);
    await call('GET /api/releases/{id}', `/api/releases/${made.body.id}`);
    await call('GET /api/releases/{id}', '/api/releases/nope');
    const diff = await call('GET /api/releases/{id}/diff', `/api/releases/${made.body.id}/diff`);
    expect(diff.body.kept).toBe(true);
    expect(diff.body.diff).toContain('+  labels: { v: "2" }');
    await call('GET /api/releases/{id}/diff', '/api/releases/nope/diff');
    // Only a request that failed before committing can be requeued: a committed one is a 409.
    await call('POST /api/releases/{id}/requeue', `/api/releases/${made.body.id}/requeue`);
    await call('POST /api/releases/{id}/requeue', '/api/releases/nope/requeue');
    await call('GET /api/eventReleaseTrack', `/api/eventReleaseTrack?id=${made.body.id}`);
    await call('GET /api/eventReleaseTrack', '/api/eventReleaseTrack?id=nope');
    await call('GET /api/eventReleaseTrack', '/api/eventReleaseTrack');
    const body = fluxEventBody({
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished',
      metadata: { revision: `main@sha1:${done.gitopsSha}` },
    });
    const flux = await postFluxEvent(t.url, body, {
      signature: sign(body, envKey(FLUX_KEY, 'oa-flux')),
      query: 'env=oa-flux',
    });
    conforms('POST /api/flux-events', flux.status, flux.body);
    const badFlux = await postFluxEvent(t.url, body, {
      signature: sign(body, 'wrong'),
      query: 'env=staging',
    });
    conforms('POST /api/flux-events', badFlux.status, badFlux.body);
    await call('GET /api/releases', '/api/releases?env=staging&limit=5');
    await call('GET /api/releases', '/api/releases?env=staging&app=oa&limit=5');
    await call('GET /api/releases', '/api/releases');
    await call('GET /api/status', '/api/status?env=staging');
    await call('GET /api/environments', '/api/environments');
    await call('GET /api/requests', '/api/requests?limit=5');
    await call('GET /api/requests', '/api/requests?limit=x');
    await call('GET /api/me', '/api/me');
    await call('GET /api/me', '/api/me', { token: 'wrong' });
    await call('GET /api/status', '/api/status?env=staging&app=none');
    const history = await t.request('GET', '/api/releases?env=staging&app=oa');
    const first = history.body.at(-1).gitopsRef;
    const rollback = await call('POST /api/rollback', `/api/rollback?env=staging&app=oa&sha=${first}`);
    await call('POST /api/rollback', '/api/rollback?env=staging&app=oa&sha=abc');
    await t.settle(rollback.body.id);
    await call('POST /api/resume', '/api/resume', { body: { env: 'staging', app: 'oa' } });
    await call('POST /api/resume', '/api/resume', { body: { env: 'staging', app: 'oa' } });
    await call('POST /api/delete', '/api/delete?env=staging&app=oa');
    await call('POST /api/delete', '/api/delete', { body: { env: 'Staging', app: 'oa' } });
    await call('GET /api/gitopsRepo', '/api/gitopsRepo');
    await call('POST /api/environments/{env}/init', '/api/environments/staging/init', { body: {} });
    // Policies
    const policy = await call('POST /api/policies', '/api/policies', {
      body: { kind: 'auto-release', app: 'oa', env: 'staging', branch: 'main' },
    });
    await call('POST /api/policies', '/api/policies', {
      body: { kind: 'nope', env: 'staging', branch: 'x' },
    });
    await call('GET /api/policies', '/api/policies');
    await call('POST /api/policies/evaluate', '/api/policies/evaluate', { body: { artifactId: second.id } });
    await call('POST /api/policies/evaluate', '/api/policies/evaluate', {
      body: { artifactId: 'acme/api-missing' },
    });
    await call('DELETE /api/policies/{id}', `/api/policies/${policy.body.id}`);
    await call('DELETE /api/policies/{id}', `/api/policies/${policy.body.id}`);
    // Users
    const user = await call('POST /api/user', '/api/user', { body: { login: 'oa-viewer', role: 'viewer' } });
    await call('POST /api/user', '/api/user', { body: { login: 'oa-viewer', role: 'viewer' } });
    await call('POST /api/user', '/api/user', { body: { login: 'x', role: 'root' } });
    await call('GET /api/users', '/api/users');
    await call('GET /api/users', '/api/users', { token: user.body.token });
    await call('GET /api/user/{login}', '/api/user/oa-viewer?withToken=true');
    await call('GET /api/user/{login}', '/api/user/nobody');
    await call('GET /api/audit', '/api/audit?limit=5');
    await call('DELETE /api/user/{login}', '/api/user/oa-viewer');
    await call('DELETE /api/user/{login}', '/api/user/oa-viewer');
    // Governance
    await call('POST /api/user', '/api/user', {
      body: { login: 'oa-approver', role: 'viewer', groups: ['approvers'], slackUserId: 'UOAAPPR' },
    });
    const approver = await t.request('GET', '/api/user/oa-approver?withToken=true');
    await call('POST /api/halts', '/api/halts', { body: { env: 'gov', reason: 'incident' } });
    await call('POST /api/halts', '/api/halts', { body: { env: 'gov' } });
    await call('POST /api/freezes', '/api/freezes', {
      body: {
        id: 'fr',
        env: 'gov',
        reason: 'r',
        timeZone: 'Europe/Berlin',
        start: '2026-01-02T16:00',
        duration: 'P2DT16H',
        rrule: 'FREQ=WEEKLY;BYDAY=FR',
      },
    });
    await call('POST /api/freezes', '/api/freezes', { body: { env: 'gov', reason: 'r', start: 'friday' } });
    await call('POST /api/approval-rules', '/api/approval-rules', {
      body: { env: 'gov', required: 1, group: 'approvers' },
    });
    await call('POST /api/approval-rules', '/api/approval-rules', {
      body: { env: 'gov', required: 0, group: 'x' },
    });
    const govShipped = await t.ship(artifact({}, [{ app: 'oa', env: 'gov', manifests: CM }]));
    const waiting = await t.request('POST', '/api/releases', {
      body: { env: 'gov', app: 'oa', artifactId: govShipped.id },
    });
    await t.waitFor(waiting.body.id, (r) => r.state === 'waiting');
    await call('GET /api/releases/{id}', `/api/releases/${waiting.body.id}`);
    await call('GET /api/governance', '/api/governance');
    await call('POST /api/releases/{id}/override', `/api/releases/${waiting.body.id}/override`, {
      body: { reason: 'hotfix' },
    });
    await call('POST /api/releases/{id}/override', `/api/releases/${waiting.body.id}/override`, { body: {} });
    await call('POST /api/releases/{id}/approve', `/api/releases/${waiting.body.id}/approve`, {
      token: approver.body.token,
      body: { comment: 'ok' },
    });
    await call('POST /api/releases/{id}/approve', '/api/releases/nope/approve', { body: {} });
    await call('DELETE /api/halts/{env}', '/api/halts/gov');
    await call('DELETE /api/halts/{env}', '/api/halts/gov');
    await t.settle(waiting.body.id);
    await call('POST /api/releases/{id}/reject', `/api/releases/${waiting.body.id}/reject`, {
      token: approver.body.token,
      body: {},
    });
    await call('DELETE /api/freezes/{id}', '/api/freezes/fr');
    await call('DELETE /api/freezes/{id}', '/api/freezes/fr');
    await call('DELETE /api/approval-rules/{env}', '/api/approval-rules/gov');
    await call('DELETE /api/approval-rules/{env}', '/api/approval-rules/gov');
    const slack = await fetch(`${t.url}/api/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': 'v0=00' },
      body: 'payload=%7B%7D',
    });
    conforms('POST /api/slack/interactions', slack.status, await slack.json());
    // GitHub webhook
    const hook = JSON.stringify({
      ref: 'feature/x',
      ref_type: 'branch',
      repository: { full_name: 'acme/api' },
    });
    const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(hook).digest('hex')}`;
    for (const sig of [signature, 'sha256=00']) {
      const res = await fetch(`${t.url}/api/github-webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'delete',
          'x-hub-signature-256': sig,
        },
        body: hook,
      });
      conforms('POST /api/github-webhook', res.status, await res.json());
    }

    // This stack has no OIDC rules: refused (403); the granted answer is test/http/oidc.test.ts's.
    await call('POST /api/token/oidc', '/api/token/oidc', { body: { token: 'a.b.c' }, token: '' });
    await call('POST /api/token/oidc', '/api/token/oidc', { body: { jwt: 'a.b.c' }, token: '' });

    const missing = API_ROUTES.map((r) => r.routeKey).filter((key) => !checked.has(key));
    expect(missing).toEqual([]);
  }, 120_000);
});

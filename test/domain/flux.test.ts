import { describe, expect, it } from 'vitest';
import { signatureMatches } from '../../lib/app/signature.ts';
import { ValidationError } from '../../lib/domain/errors.ts';
import { eventEnvironment, parseFluxEvent, revisionCommit, verdictOf } from '../../lib/domain/flux.ts';
import { parseScaffold } from '../../lib/domain/flux-scaffold.ts';
import { fluxEventBody, sign } from '../support/flux.ts';

const SHA = '1eabc9a0f3c6b3d2e4f5a6b7c8d9e0f1a2b3c4d5';

describe('revisionCommit: the gitops commit in every revision format Flux has sent', () => {
  it.each([
    ['Flux ≥ 0.40 branch', { revision: `main@sha1:${SHA}` }, SHA],
    ['branch with slashes', { revision: `feature/x@sha1:${SHA}` }, SHA],
    ['spec.ref.name', { revision: `refs/heads/main@sha1:${SHA}` }, SHA],
    ['pull request ref', { revision: `refs/pull/12/head@sha1:${SHA}` }, SHA],
    ['exact commit, no pointer', { revision: `sha1:${SHA}` }, SHA],
    ['legacy branch/sha', { revision: `main/${SHA}` }, SHA],
    ['legacy branch with slashes', { revision: `feature/x/y/${SHA}` }, SHA],
    ['legacy HEAD/sha', { revision: `HEAD/${SHA}` }, SHA],
    ['legacy bare sha', { revision: SHA }, SHA],
    ['upper-case hex', { revision: `main@sha1:${SHA.toUpperCase()}` }, SHA],
    [
      'OCI originRevision wins over the digest',
      { revision: `latest@sha256:${'a'.repeat(64)}`, originRevision: `main@sha1:${SHA}` },
      SHA,
    ],
    ['Flux 0.28.0 prefixed key', { 'kustomize.toolkit.fluxcd.io/revision': `main/${SHA}` }, SHA],
    ['OCI digest alone', { revision: `latest@sha256:${'a'.repeat(64)}` }, undefined],
    ['bucket digest', { revision: `sha256:${'b'.repeat(64)}` }, undefined],
    ['chart version', { revision: '6.5.4' }, undefined],
    ['chart version with short sha', { revision: `6.5.4+${SHA.slice(0, 12)}` }, undefined],
    ['short sha', { revision: `main@sha1:${SHA.slice(0, 12)}` }, undefined],
    ['no revision', {}, undefined],
  ])('%s', (_name, metadata: Record<string, string>, expected) => {
    expect(revisionCommit(metadata)).toBe(expected);
  });
});

describe('verdictOf: what an event says about a release', () => {
  const k = (reason: string, message: string) =>
    parseFluxEvent(JSON.parse(fluxEventBody({ reason, message })));
  const h = (reason: string, message: string) =>
    parseFluxEvent(JSON.parse(fluxEventBody({ kind: 'HelmRelease', name: 'web', reason, message })));
  it.each([
    [k('Progressing', 'Deployment/apps/web configured'), 'reconciling'],
    [k('Progressing', 'Health check passed in 23.957301842s'), 'succeeded'],
    [k('ReconciliationSucceeded', 'Reconciliation finished in 26.8s, next run in 10m0s'), 'succeeded'],
    [
      k(
        'HealthCheckFailed',
        "health check failed after 5m0.03s: timeout waiting for: [Deployment/apps/web status: 'InProgress']",
      ),
      'failed',
    ],
    [k('ReconciliationFailed', 'Deployment/apps/web dry-run failed (Invalid)\n'), 'failed'],
    [k('BuildFailed', 'kustomize build failed: accumulating resources'), 'failed'],
    [k('ArtifactFailed', 'kustomization path not found'), 'failed'],
    [k('PruneFailed', 'ConfigMap/apps/x delete failed'), 'failed'],
    [k('DependencyNotReady', 'Dependencies do not meet ready condition, retrying in 30s'), 'reconciling'],
    [k('HealthCheckCanceled', 'Health checks canceled due to new reconciliation'), undefined],
    [
      h('UpgradeFailed', 'Helm upgrade failed for release apps/web with chart web@1.2.3: timed out'),
      'failed',
    ],
    [h('InstallFailed', 'Helm install failed for release apps/web'), 'failed'],
    [
      h('UpgradeSucceeded', 'Helm upgrade succeeded for release apps/web.v7 with chart web@1.2.3'),
      'succeeded',
    ],
    [h('DriftDetected', 'Cluster state of release apps/web.v7 has drifted'), undefined],
    [h('error', 'Helm upgrade failed: timed out'), 'failed'],
  ])('%# %o', (event, state) => {
    expect(verdictOf(event)?.state).toBe(state);
  });

  it("carries Flux's reason and message on a failure", () => {
    expect(verdictOf(k('HealthCheckFailed', 'health check failed after 5m: timeout\n'))).toEqual({
      state: 'failed',
      reason: 'HealthCheckFailed: health check failed after 5m: timeout',
    });
  });
});

describe('parseFluxEvent and the environment', () => {
  it('reads an event with Go escapes as the same text', () => {
    const event = parseFluxEvent(JSON.parse(fluxEventBody({ reason: 'BuildFailed', message: 'a <b> & c' })));
    expect(event.message).toBe('a <b> & c');
    expect(fluxEventBody({ reason: 'BuildFailed', message: 'a <b> & c' })).toContain(
      'a \\u003cb\\u003e \\u0026 c',
    );
  });

  it.each([
    [[], 'body: must be a Flux event object'],
    [{}, 'involvedObject: missing or not an object'],
    [{ involvedObject: { name: 'x' }, reason: 'r' }, 'involvedObject.kind: missing'],
    [
      { involvedObject: { kind: 'K', name: 'x' }, reason: 'r', metadata: { revision: 5 } },
      'metadata.revision: must be a string',
    ],
    [{ involvedObject: { kind: 'K', name: 'x' } }, 'reason: missing (and no message)'],
  ])('refuses %j naming the field', (body, message) => {
    expect(() => parseFluxEvent(body)).toThrow(new ValidationError(message));
  });

  it('takes env from the query or metadata.env, refusing a contradiction or a bad label', () => {
    const event = parseFluxEvent(
      JSON.parse(fluxEventBody({ reason: 'Progressing', message: 'x', metadata: { env: 'staging' } })),
    );
    expect(eventEnvironment(undefined, event)).toBe('staging');
    expect(eventEnvironment('staging', event)).toBe('staging');
    expect(() => eventEnvironment('production', event)).toThrow(
      /query says "production" but metadata.env says "staging"/,
    );
    const bare = parseFluxEvent(JSON.parse(fluxEventBody({ reason: 'Progressing', message: 'x' })));
    expect(() => eventEnvironment(undefined, bare)).toThrow(/env: missing/);
    expect(() => eventEnvironment('../x', bare)).toThrow(/not a DNS-1123 label/);
  });
});

describe('signatureMatches', () => {
  const body = Buffer.from(fluxEventBody({ reason: 'Progressing', message: 'x' }));
  it('accepts the HMAC of the exact bytes and nothing else', () => {
    expect(signatureMatches(body, sign(body.toString(), 'k3y'), 'k3y')).toBe(true);
    expect(signatureMatches(body, sign(body.toString(), 'other'), 'k3y')).toBe(false);
    expect(
      signatureMatches(Buffer.concat([body, Buffer.from('\n')]), sign(body.toString(), 'k3y'), 'k3y'),
    ).toBe(false);
    expect(signatureMatches(body, 'sha256=zz', 'k3y')).toBe(false);
    // A digit past the digest's length is refused, not ignored by the hex decoder.
    expect(signatureMatches(body, `${sign(body.toString(), 'k3y')}0`, 'k3y')).toBe(false);
    expect(signatureMatches(body, sign(body.toString(), 'k3y'), 'k3y', ['sha512'])).toBe(false);
    expect(signatureMatches(body, 'md5=abcd', 'k3y')).toBe(false);
    expect(signatureMatches(body, sign(body.toString(), 'k3y').slice(0, 20), 'k3y')).toBe(false);
  });
});

describe('env init settings', () => {
  it.each([
    [{ eventsUrl: undefined }, /no Flux events URL/],
    [{ eventsUrl: 'not a url' }, /not an absolute URL/],
    [{ eventsUrl: 'ftp://x/' }, /http or https/],
    [{ eventsUrl: 'https://u:p@x/' }, /credentials/],
    [{ eventsUrl: 'https://x/?access_token=t' }, /credentials/],
    [{ eventsUrl: 'https://x/', kustomization: 'A_B' }, /kustomization/],
    [{ eventsUrl: 'https://x/' }, /repoUrl: no gitops repository URL/],
    [
      { eventsUrl: 'https://x/', repoUrl: 'https://user:token@github.com/o/r' },
      /repoUrl: must not carry credentials/,
    ],
    [{ eventsUrl: 'https://x/', repoUrl: 'git@github.com:o/r.git' }, /repoUrl: .* not an absolute URL/],
    [{ eventsUrl: 'https://x/', repoUrl: 'https://github.com/o/r', branch: 'a..b' }, /branch: "a..b"/],
    [{ eventsUrl: 'https://x/', source: 'Flux_System' }, /source: "Flux_System"/],
  ])('refuses %j', (input, message) => {
    expect(() => parseScaffold({ env: 'staging', ...input })).toThrow(message);
  });
});

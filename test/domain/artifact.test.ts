import { describe, expect, it } from 'vitest';
import { parseArtifact } from '../../lib/domain/artifact.ts';
import { ValidationError } from '../../lib/domain/errors.ts';
import { artifact, sampleArtifact } from '../fixtures/artifacts.ts';

function errorOf(raw: unknown): string {
  try {
    parseArtifact(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('expected a validation error');
}

const withManifest = (manifest: Record<string, unknown>) =>
  artifact({}, [{ app: 'api', env: 'staging', manifests: 'kind: ConfigMap', ...manifest }]);

describe('parseArtifact', () => {
  it('accepts the Gimlet CLI shape, reading null and empty strings as unset', () => {
    // Prepare
    const raw = sampleArtifact();
    // Act
    const parsed = parseArtifact(raw);
    // Assess
    expect(parsed.version).toMatchObject({ repositoryName: 'acme/shop', event: 'push', branch: 'main' });
    expect(parsed.version).not.toHaveProperty('tag');
    expect(parsed.environments).toHaveLength(2);
    expect(parsed.environments[0]).not.toHaveProperty('json6902Patches');
    expect(parsed.environments[0]).not.toHaveProperty('manifests');
    expect(parsed.environments[1]?.deploy).toEqual({ tag: 'v*', event: 'tag' });
  });

  it('reads a missing event as push, as Gimlet omits it for push', () => {
    const raw = artifact();
    delete raw.version.event;
    expect(parseArtifact(raw).version.event).toBe('push');
  });

  it('matches manifest keys case-insensitively, like Go decoding', () => {
    const raw = artifact({}, [{ App: 'api', Env: 'staging', Chart: { Name: 'onechart' } }]);
    expect(parseArtifact(raw).environments[0]).toMatchObject({
      app: 'api',
      env: 'staging',
      chart: { name: 'onechart' },
    });
  });

  it('accepts newer Gimlet fields when they are empty', () => {
    const raw = withManifest({ dependencies: null, deploy: { branch: 'main', commitMessagePatterns: [] } });
    expect(parseArtifact(raw).environments[0]?.deploy).toEqual({ branch: 'main' });
  });

  it('treats an all-empty chart object as no chart', () => {
    const raw = artifact({}, [
      { app: 'api', env: 'staging', chart: { repository: '', name: '', version: '' }, manifests: 'a: b' },
    ]);
    expect(parseArtifact(raw).environments[0]).not.toHaveProperty('chart');
  });

  it('accepts templated app names whose literal parts are label characters', () => {
    const raw = withManifest({ app: 'preview-{{ .BRANCH | sanitizeDNSName }}' });
    expect(parseArtifact(raw).environments[0]?.app).toBe('preview-{{ .BRANCH | sanitizeDNSName }}');
  });

  it('lower-cases the sha so filters match however CI spelled it', () => {
    expect(parseArtifact(artifact({ sha: 'ABCDEF1234567' })).version.sha).toBe('abcdef1234567');
  });

  it.each([
    ['a non-object body', [], 'must be an object, got array'],
    ['no version', { environments: [] }, 'version: is required'],
    [
      'missing version.repositoryName',
      artifact({ repositoryName: undefined }),
      'version.repositoryName: is required',
    ],
    [
      'a repository without owner',
      artifact({ repositoryName: 'shop' }),
      'version.repositoryName: must look like owner/repo',
    ],
    [
      'a traversing repository',
      artifact({ repositoryName: 'acme/../etc' }),
      'version.repositoryName: must look like owner/repo',
    ],
    ['a numeric sha', artifact({ sha: 1234567 }), 'version.sha: must be a string, got number'],
    ['a non-hex sha', artifact({ sha: 'not-a-sha' }), 'version.sha: must be a git commit sha'],
    [
      'an unknown event',
      artifact({ event: 'merge' }),
      'version.event: must be one of push, tag, pr, got "merge"',
    ],
    [
      'created as a string',
      artifact({ created: 'yesterday' }),
      'version.created: must be an integer, got string',
    ],
    ['an unknown version field', artifact({ brnach: 'main' }), 'version.brnach: unknown field'],
    [
      'context with a number',
      { ...artifact(), context: { N: 1 } },
      'context.N: must be a string, got number',
    ],
    ['items not a list', { ...artifact(), items: {} }, 'items: must be an array, got object'],
    ['an item that is a string', { ...artifact(), items: ['x'] }, 'items[0]: must be an object, got string'],
    [
      'CUE environments',
      { ...artifact(), cueEnvironments: ['configs: []'] },
      'cueEnvironments: CUE environments are not supported',
    ],
    ['upper-case app', withManifest({ app: 'Shop' }), 'environments[0].app: must be a DNS-1123 label'],
    ['../ in app', withManifest({ app: '../shop' }), 'environments[0].app: must be a DNS-1123 label'],
    ['../ in env', withManifest({ env: '../prod' }), 'environments[0].env: must be a DNS-1123 label'],
    ['upper-case env', withManifest({ env: 'Prod' }), 'environments[0].env: must be a DNS-1123 label'],
    [
      'a slash around a template',
      withManifest({ app: 'a/{{ .X }}' }),
      'environments[0].app: must be a DNS-1123 label',
    ],
    ['a missing env', withManifest({ env: undefined }), 'environments[0].env: is required'],
    [
      'a 64-character app',
      withManifest({ app: 'a'.repeat(64) }),
      'environments[0].app: must be a DNS-1123 label',
    ],
    [
      'a typo in a manifest key',
      withManifest({ deply: { branch: 'main' } }),
      'environments[0].deply: unknown field',
    ],
    [
      'an unknown deploy event',
      withManifest({ deploy: { branch: 'main', event: 'merge' } }),
      'environments[0].deploy.event: must be one of push, tag, pr',
    ],
    [
      'a tag policy on push',
      withManifest({ deploy: { tag: 'v*', event: 'push' } }),
      'environments[0].deploy.event: must be tag when deploy.tag is set',
    ],
    [
      'a branch policy on tags',
      withManifest({ deploy: { branch: 'main', event: 'tag' } }),
      'environments[0].deploy.event: must be push or pr',
    ],
    [
      'an empty deploy policy',
      withManifest({ deploy: {} }),
      'environments[0].deploy: must set at least one of branch, tag, event',
    ],
    [
      'cleanup without branch',
      withManifest({ cleanup: { app: 'x', event: 'branchDeleted' } }),
      'environments[0].cleanup.branch: is required',
    ],
    [
      'cleanup on another event',
      withManifest({ cleanup: { app: 'x', event: 'push', branch: '*' } }),
      'environments[0].cleanup.event: must be one of branchDeleted',
    ],
    ['preview as a string', withManifest({ preview: 'yes' }), 'environments[0].preview: must be a boolean'],
    [
      'a preview with a push deploy rule, which can never fire',
      withManifest({ preview: true, deploy: { branch: 'main', event: 'push' } }),
      'environments[0].deploy: event push can never fire with preview: true',
    ],
    [
      'a preview with a tag deploy rule',
      withManifest({ preview: true, deploy: { tag: 'v*' } }),
      'environments[0].deploy: deploy.tag can never fire with preview: true',
    ],
    [
      'gimlet cli-v0.25 with a named tenant',
      withManifest({ tenant: { name: 'team-a' } }),
      'environments[0].tenant.name: is not supported: Ferry has no tenants',
    ],
    [
      'values as a list',
      withManifest({ values: [] }),
      'environments[0].values: must be an object, got array',
    ],
    [
      'a chart version without name',
      withManifest({ chart: { version: '1.0.0' } }),
      'environments[0].chart.name: is required',
    ],
    [
      'neither chart nor manifests',
      withManifest({ manifests: '' }),
      'environments[0]: needs a chart (chart.name) or raw manifests',
    ],
    [
      'broken raw YAML',
      withManifest({ manifests: 'a: [1, 2' }),
      'environments[0].manifests: is not valid YAML',
    ],
    [
      'a json6902 patch without target',
      withManifest({ json6902Patches: [{ patch: '[]' }] }),
      'environments[0].json6902Patches[0].target: must be an object',
    ],
    [
      'the same env/app twice',
      artifact({}, [
        { app: 'api', env: 'staging', manifests: 'a: b' },
        { app: 'api', env: 'staging', manifests: 'a: c' },
      ]),
      'environments[1]: targets staging/api like environments[0]',
    ],
  ])('rejects %s, naming the field', (_name, raw, message) => {
    expect(errorOf(raw)).toContain(message);
  });
});

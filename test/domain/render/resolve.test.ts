import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../../lib/domain/manifest.ts';
import { RenderError, renderManifest, resolveManifest } from '../../../lib/domain/render/index.ts';
import { renderErrorOf } from './render-error.ts';

const vars = { SHA: 'ea8ab1a', BRANCH: 'feature/login', IMAGE: 'ghcr.io/acme/web', REPLICAS: '2' };

const errorOf = (manifest: Manifest, values: Record<string, string> = vars) =>
  renderErrorOf(() => resolveManifest(manifest, values)).message;

describe('resolveManifest', () => {
  it('renders every string field, leaving keys, numbers and policies as written', () => {
    // Prepare
    const manifest: Manifest = {
      app: 'web-{{ .BRANCH | sanitizeDNSName }}',
      env: 'staging',
      namespace: 'preview',
      deploy: { branch: '{{ .BRANCH }}', event: 'push' },
      cleanup: { app: 'web-{{ .BRANCH | sanitizeDNSName }}', event: 'branchDeleted', branch: 'feature/*' },
      chart: { repository: 'https://chart.onechart.dev', name: 'onechart', version: '0.{{ .REPLICAS }}.0' },
      values: {
        image: { repository: '{{ .IMAGE }}', tag: '{{ .SHA }}' },
        '{{ .SHA }}': 'key stays',
        replicas: 2,
        hosts: ['{{ .BRANCH | sanitizeDNSName }}.example.com'],
      },
      manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{{ .SHA }}\n',
      json6902Patches: [
        {
          patch: '- op: replace\n  path: /spec/replicas\n  value: {{ .REPLICAS }}\n',
          target: { kind: 'Deployment', name: 'web-{{ .BRANCH | sanitizeDNSName }}' },
        },
      ],
    };
    // Act
    const resolved = resolveManifest(manifest, vars);
    // Assess
    expect(resolved).toEqual({
      ...manifest,
      app: 'web-feature-login',
      chart: { repository: 'https://chart.onechart.dev', name: 'onechart', version: '0.2.0' },
      values: {
        image: { repository: 'ghcr.io/acme/web', tag: 'ea8ab1a' },
        '{{ .SHA }}': 'key stays',
        replicas: 2,
        hosts: ['feature-login.example.com'],
      },
      manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-ea8ab1a\n',
      json6902Patches: [
        {
          patch: '- op: replace\n  path: /spec/replicas\n  value: 2\n',
          target: { kind: 'Deployment', name: 'web-feature-login' },
        },
      ],
    });
    expect(resolved.deploy).toBe(manifest.deploy);
    expect(resolved.cleanup).toBe(manifest.cleanup);
  });

  it('names the field and the variable when a variable is missing', () => {
    const message = errorOf({
      app: 'web',
      env: 'staging',
      chart: { name: 'x' },
      values: { image: '{{ .TAG }}' },
    });
    expect(message).toBe('environments[staging/web].values.image: template variable "TAG" is not set');
  });

  it('refuses a template that turns the app name into a path, before any file exists', () => {
    const manifest: Manifest = { app: '{{ .BRANCH }}', env: 'staging', manifests: 'a: b' };
    const message = errorOf(manifest, { BRANCH: '../x' });
    expect(message).toContain('environments[staging/{{ .BRANCH }}].app: must be a DNS-1123 label');
    expect(message).toContain('"../x"');
  });

  it('refuses an env or namespace that is not a label once rendered', () => {
    expect(errorOf({ app: 'web', env: '{{ .BRANCH }}', manifests: 'a: b' })).toContain('.env: must be');
    expect(errorOf({ app: 'web', env: 'staging', namespace: '{{ .BRANCH }}', manifests: 'a: b' })).toContain(
      '.namespace: must be',
    );
  });

  it('refuses an app name longer than a Helm release name can be', () => {
    const message = errorOf(
      { app: 'a{{ .LONG }}', env: 'staging', manifests: 'a: b' },
      { LONG: 'b'.repeat(53) },
    );
    expect(message).toContain('at most 53');
  });

  it('refuses raw YAML that a variable broke', () => {
    const manifest: Manifest = { app: 'web', env: 'staging', manifests: 'key: {{ .VALUE }}\n' };
    expect(errorOf(manifest, { VALUE: '[unclosed' })).toContain(
      'environments[staging/web].manifests: is not valid YAML once rendered',
    );
  });

  it('leaves a manifest without templates as it was', () => {
    const manifest: Manifest = {
      app: 'web',
      env: 'staging',
      chart: { name: 'onechart' },
      values: { a: '{b}' },
    };
    expect(resolveManifest(manifest, {})).toEqual(manifest);
  });

  it('never lets a rendered name reach renderManifest as a path', () => {
    const manifest: Manifest = { app: '../x', env: 'staging', manifests: 'a: b' };
    expect(() => renderManifest(manifest)).toThrow(RenderError);
  });
});

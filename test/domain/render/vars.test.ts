import { describe, expect, it } from 'vitest';
import { parseArtifact } from '../../../lib/domain/artifact.ts';
import { ValidationError } from '../../../lib/domain/errors.ts';
import type { Manifest } from '../../../lib/domain/manifest.ts';
import { resolveManifest } from '../../../lib/domain/render/index.ts';
import { resolveVars } from '../../../lib/domain/render/vars.ts';
import { renderTarget } from '../../../lib/domain/render-target.ts';
import { templateVars } from '../../../lib/domain/targets.ts';
import { artifact } from '../../fixtures/artifacts.ts';
import { renderErrorOf } from './render-error.ts';

const sources = (
  vars: Record<string, string>,
  context: Record<string, string> = {},
  items: object[] = [],
) => ({
  context,
  items: items as Record<string, unknown>[],
  vars,
});

describe('resolveVars (Gimlet pkg/dx/manifest.go ResolveVars: vars in vars first)', () => {
  it('resolves templates inside vars with the context, items and other vars', () => {
    // Prepare
    const input = sources(
      {
        IMAGE: 'ghcr.io/acme/web:{{ .SHA }}',
        HOST: '{{ .BRANCH | sanitizeDNSName }}.{{ .DOMAIN }}',
        DOMAIN: 'example.com',
      },
      { SHA: 'ea8ab1a', BRANCH: 'feature/Login' },
    );
    // Act
    const resolved = resolveVars(input);
    // Assess
    expect(resolved).toEqual({
      SHA: 'ea8ab1a',
      BRANCH: 'feature/Login',
      DOMAIN: 'example.com',
      IMAGE: 'ghcr.io/acme/web:ea8ab1a',
      HOST: 'feature-login.example.com',
    });
  });

  it('collects in Gimlet order: context, then string item fields, then vars; later wins', () => {
    const resolved = resolveVars(
      sources({ A: 'vars' }, { A: 'context', B: 'context', C: 'context' }, [
        { B: 'item', n: 3 },
        { C: 'item' },
      ]),
    );
    expect(resolved).toEqual({ A: 'vars', B: 'item', C: 'item' });
  });

  it('resolves templates in context and items too, since Gimlet templates the whole collected map', () => {
    const resolved = resolveVars(sources({ SHA: 'abc' }, {}, [{ image: 'web:{{ .SHA }}' }]));
    expect(resolved.image).toBe('web:abc');
  });

  it('names the variable and its source when one does not resolve', () => {
    const message = renderErrorOf(() => resolveVars(sources({ IMAGE: 'web:{{ .TAG }}' }))).message;
    expect(message).toBe('vars.IMAGE: template variable "TAG" is not set');
    expect(renderErrorOf(() => resolveVars(sources({}, {}, [{ image: '{{ now }}' }]))).message).toMatch(
      /^items\[0\]\.image: function "now" is not available/,
    );
  });

  it('refuses a chain Gimlet would commit literally (one pass over unresolved values)', () => {
    const message = renderErrorOf(() =>
      resolveVars(
        sources({
          IMAGE: '{{ .REPO }}:{{ .SHA }}',
          REPO: 'ghcr.io/{{ .OWNER }}/web',
          OWNER: 'acme',
          SHA: 'a',
        }),
      ),
    ).message;
    expect(message).toContain('vars.IMAGE: reads REPO (vars.REPO), which is itself a template');
    expect(message).toContain('"ghcr.io/{{ .OWNER }}/web" literally');
  });

  it('keeps values without templates, and `{{` produced by a template, as they are', () => {
    expect(resolveVars(sources({ RAW: '{{ "{{ x }}" }}', PLAIN: 'a } b' }))).toEqual({
      RAW: '{{ x }}',
      PLAIN: 'a } b',
    });
  });

  it('bounds the work all vars of an artifact may do together', () => {
    const vars = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`V${i}`, '{{ repeat 1000000 "x" }}']),
    );
    expect(renderErrorOf(() => resolveVars(sources(vars))).message).toContain('renders more than');
  });
});

describe('vars in vars through the artifact', () => {
  const manifest = {
    app: 'web',
    env: 'staging',
    namespace: 'staging',
    manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  image: "{{ .IMAGE }}"\n',
  };

  it('commits the resolved image, not the literal template', () => {
    // Prepare
    const raw = artifact({ sha: 'ea8ab1a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7' }, [manifest]);
    raw.context = { SHA: 'ea8ab1a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7' };
    raw.vars = { IMAGE: 'ghcr.io/acme/web:{{ .SHA | trunc 7 }}' };
    // Act
    const files = renderTarget(parseArtifact(raw), 'staging', 'web');
    // Assess
    const text = files.map((f) => f.content).join('\n');
    expect(text).toContain('image: "ghcr.io/acme/web:ea8ab1a"');
    expect(text).not.toContain('{{');
    expect(templateVars(parseArtifact(raw)).IMAGE).toBe('ghcr.io/acme/web:ea8ab1a');
  });

  it('refuses at the door (400 naming the var) an artifact whose vars do not resolve', () => {
    const raw = artifact({}, [manifest]);
    raw.vars = { IMAGE: 'web:{{ .MISSING }}' };
    expect(() => parseArtifact(raw)).toThrow(ValidationError);
    expect(() => parseArtifact(raw)).toThrow('vars.IMAGE: template variable "MISSING" is not set');
  });
});

describe('manifest limits', () => {
  it('turns a deeply nested template in values into a 400 naming the field, never a RangeError', () => {
    const deep = `${'{{ with .A }}'.repeat(50_000)}${'{{ end }}'.repeat(50_000)}`;
    const nested: Manifest = {
      app: 'web',
      env: 'staging',
      chart: { name: 'onechart' },
      values: { a: { b: deep } },
    };
    const error = renderErrorOf(() => resolveManifest(nested, { A: 'x' }));
    expect(error.message).toMatch(/^environments\[staging\/web\]\.values\.a\.b: template nests deeper than/);
  });

  it('counts the rendered size of all fields of a manifest together', () => {
    const field = '{{ repeat 1500000 "x" }}';
    const manifest: Manifest = {
      app: 'web',
      env: 'staging',
      chart: { name: 'onechart' },
      values: { a: field, b: field, c: field },
    };
    expect(renderErrorOf(() => resolveManifest(manifest, {})).message).toMatch(
      /^environments\[staging\/web\]\.values\.c: template renders more than/,
    );
  });
});

import { hasTemplate } from '../names.ts';
import { RenderError } from './errors.ts';
import { brief } from './go-values.ts';
import { renderBudget, renderTemplate } from './template.ts';

/** The parts of an artifact its template variables come from. */
export interface VarSources {
  context: Readonly<Record<string, string>>;
  items: readonly Readonly<Record<string, unknown>>[];
  vars: Readonly<Record<string, string>>;
}

/**
 * Template variables as Gimlet resolves them (gimlet-io/gimlet, tag gimlet-v1.0.0-beta.18):
 *
 * 1. pkg/dx/artifact.go CollectVariables: `context`, then every string field of every item (Gimlet's
 *    `image`, `name`, `url`), then `vars`; a later source wins a name.
 * 2. pkg/dx/manifest.go ResolveVars, "resolving vars in vars first": the whole collected map is executed
 *    as one template (missingkey=error) over the *collected, unresolved* map, once. So `IMAGE:
 *    "ghcr.io/acme/web:{{ .SHA }}"` becomes the image with the sha, and a variable that is not set, an
 *    unknown function or a syntax error fails every manifest of the artifact.
 * 3. Then each manifest is executed over the resolved map (resolveManifest).
 *
 * One deliberate difference: because Gimlet resolves in one pass, a variable that reads another *templated*
 * variable gets that template's text, which Gimlet then commits literally (`{{ .SHA }}` in a manifest).
 * Ferry refuses that chain with a message naming both variables instead of committing it. (Gimlet also
 * re-parses the resolved text as YAML, so a value with a quote or colon can break its resolution; Ferry
 * keeps values as they are.)
 *
 * Errors name the field the winning value came from (`vars.IMAGE`, `context.SHA`, `items[0].image`).
 */
export function resolveVars(sources: VarSources): Record<string, string> {
  const collected: Record<string, string> = {};
  const origin = new Map<string, string>();
  const add = (key: string, value: string, from: string) => {
    collected[key] = value;
    origin.set(key, from);
  };
  for (const [key, value] of Object.entries(sources.context)) add(key, value, `context.${key}`);
  sources.items.forEach((item, i) => {
    for (const [key, value] of Object.entries(item)) {
      if (typeof value === 'string') add(key, value, `items[${i}].${key}`);
    }
  });
  for (const [key, value] of Object.entries(sources.vars)) add(key, value, `vars.${key}`);

  const budget = renderBudget();
  const resolved: Record<string, string> = { ...collected };
  // Gimlet marshals the map as YAML, which sorts keys: the first failing variable in key order is reported.
  for (const key of Object.keys(collected).sort()) {
    const value = collected[key] as string;
    if (!hasTemplate(value)) continue;
    const field = origin.get(key) as string;
    resolved[key] = renderTemplate(value, collected, field, budget, (read) => {
      const readValue = collected[read];
      if (readValue !== undefined && hasTemplate(readValue)) {
        throw new RenderError(
          `${field}: reads ${read} (${origin.get(read)}), which is itself a template; Gimlet resolves variables in one pass and would commit ${brief(readValue)} literally, so write ${key} with the variables ${read} uses`,
        );
      }
    });
  }
  return resolved;
}

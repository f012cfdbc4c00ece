import { hasTemplate } from '../names.ts';
import { RenderError, TemplateProblem } from './errors.ts';
import { callFunction, type TemplateValue } from './functions.ts';
import { type Expr, parseTemplate, variablesOf } from './go-template.ts';

export { sanitizeDnsName } from './functions.ts';

/**
 * Go-style templates (`{{ .BRANCH | sanitizeDNSName }}`) are parsed by go-template.ts into expressions of
 * variables, literals and calls of the template functions, and evaluated here directly: user text is
 * never handed to another template language, so nothing in it (`\{{`, quotes, `}}` inside strings) can be
 * read as syntax.
 */

/**
 * Renders one string field. `path` names the field in errors: `environments[staging/web].values.image:
 * template variable "IMAGE" is not set`. A string without `{{` is returned as it is.
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>, path: string): string {
  if (!hasTemplate(text)) return text;
  try {
    const parts = parseTemplate(text);
    const missing = parts
      .flatMap((p) => (typeof p === 'string' ? [] : variablesOf(p)))
      .find((v) => !Object.hasOwn(vars, v));
    if (missing !== undefined) throw new TemplateProblem(`template variable "${missing}" is not set`);
    return parts.map((p) => (typeof p === 'string' ? p : String(evaluate(p, vars)))).join('');
  } catch (error) {
    if (error instanceof TemplateProblem)
      throw new RenderError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

function evaluate(expr: Expr, vars: Readonly<Record<string, string>>): TemplateValue {
  // Only the artifact's own variables: `hasOwn` was checked, so `constructor` or `__proto__` never resolve
  // to something inherited.
  if (expr.kind === 'var') return vars[expr.name] as string;
  if (expr.kind === 'literal') return expr.value;
  return callFunction(
    expr.fn,
    expr.args.map((arg) => evaluate(arg, vars)),
  );
}

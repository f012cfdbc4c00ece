import Handlebars from 'handlebars';
import { hasTemplate } from '../names.ts';
import { RenderError, TemplateProblem } from './errors.ts';
import { callFunction, FUNCTIONS, type TemplateValue } from './functions.ts';
import { type Expr, parseTemplate, variablesOf } from './go-template.ts';

export { sanitizeDnsName } from './functions.ts';

/**
 * Go-style templates (`{{ .BRANCH | sanitizeDNSName }}`) are parsed by go-template.ts and evaluated by an
 * isolated Handlebars instance whose only helpers are the template functions. Every literal, including the
 * text between actions, is handed to Handlebars as `@data` rather than spliced into its source, so no
 * user text is ever parsed as Handlebars syntax (`\{{`, quotes, `}}` inside strings).
 */
const handlebars = Handlebars.create();
for (const name of Object.keys(FUNCTIONS)) {
  // Handlebars passes its options object last; template functions never see it.
  handlebars.registerHelper(name, (...args: unknown[]) =>
    callFunction(name, args.slice(0, -1) as TemplateValue[]),
  );
}
const COMPILE_OPTIONS: CompileOptions = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries(Object.keys(FUNCTIONS).map((name) => [name, true])),
};

// Sources hold only structure (`{{@l0}}{{this.[SHA]}}`), so a few hundred cover every manifest shape.
const compiled = new Map<string, Handlebars.TemplateDelegate>();
const CACHE_LIMIT = 500;

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
    const literals: TemplateValue[] = [];
    const source = parts
      .map((p) => `{{${typeof p === 'string' ? literal(p, literals) : toHandlebars(p, literals, true)}}}`)
      .join('');
    // A null-prototype copy: `constructor` or `__proto__` can only be variables the artifact really set.
    const context = Object.assign(Object.create(null) as Record<string, string>, vars);
    return template(source)(context, { data: Object.fromEntries(literals.map((v, i) => [`l${i}`, v])) });
  } catch (error) {
    if (error instanceof TemplateProblem || error instanceof Handlebars.Exception) {
      throw new RenderError(`${path}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function toHandlebars(expr: Expr, literals: TemplateValue[], top = false): string {
  if (expr.kind === 'var') return `this.[${expr.name}]`;
  if (expr.kind === 'literal') return literal(expr.value, literals);
  const call = [expr.fn, ...expr.args.map((arg) => toHandlebars(arg, literals))].join(' ');
  return top ? call : `(${call})`;
}

function literal(value: TemplateValue, literals: TemplateValue[]): string {
  literals.push(value);
  return `@l${literals.length - 1}`;
}

function template(source: string): Handlebars.TemplateDelegate {
  let delegate = compiled.get(source);
  if (!delegate) {
    if (compiled.size >= CACHE_LIMIT) compiled.clear();
    delegate = handlebars.compile(source, COMPILE_OPTIONS);
    compiled.set(source, delegate);
  }
  return delegate;
}

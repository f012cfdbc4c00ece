import { hasTemplate } from '../names.ts';
import { RenderError, TemplateProblem } from './errors.ts';
import { type GoFunction, lookupFunction, type Param } from './functions.ts';
import {
  type Command,
  type ControlNode,
  type Node,
  type Operand,
  type Pipeline,
  parseTemplate,
} from './go-template.ts';
import {
  approxLength,
  brief,
  GoInt,
  GoList,
  GoMap,
  type GoValue,
  isTrue,
  printValue,
  sortedKeys,
  typeName,
} from './go-values.ts';

export { sanitizeDnsName } from './functions.ts';
export { MAX_TEMPLATE_DEPTH } from './go-template.ts';

/**
 * Executes Go text/template (parsed by go-template.ts) over Gimlet's data, a `map[string]string` of the
 * artifact's variables, with Gimlet's `missingkey=error` (gimlet-io/gimlet pkg/dx/manifest.go
 * ResolveVars, gimlet-v1.0.0-beta.18): a variable that is not set is an error, never `<no value>`. The
 * semantics follow golang/go src/text/template/exec.go. User text is never handed to another template
 * engine, so nothing in it can be read as syntax of something else.
 *
 * Limits, so one artifact can neither hang nor blow up a worker: every template run counts its steps
 * (actions, commands, loop iterations) and the characters it produces (output and every string a
 * function builds) against a budget shared by all fields of one manifest; past either limit, or past
 * MAX_TEMPLATE_DEPTH nested structures, rendering stops with a RenderError naming the field.
 */
export const MAX_TEMPLATE_STEPS = 100_000;
export const MAX_RENDERED_CHARS = 4 * 1024 * 1024;

/** What one manifest (or one artifact's vars) may still spend. */
export interface RenderBudget {
  steps: number;
  chars: number;
}

export function renderBudget(): RenderBudget {
  return { steps: MAX_TEMPLATE_STEPS, chars: MAX_RENDERED_CHARS };
}

type Vars = Readonly<Record<string, string>>;

/**
 * Renders one string field. `path` names the field in errors: `environments[staging/web].values.image:
 * template variable "IMAGE" is not set`. A string without `{{` is returned as it is. `onRead` hears the
 * name of every variable the template reads (vars in vars uses it).
 */
export function renderTemplate(
  text: string,
  vars: Vars,
  path: string,
  budget: RenderBudget = renderBudget(),
  onRead?: (name: string) => void,
): string {
  if (!hasTemplate(text)) return text;
  try {
    const nodes = parseTemplate(text);
    const data = new GoMap(new Map(Object.entries(vars)), 'map[string]string');
    const state = new State(data, budget, onRead);
    state.walk(nodes, data);
    return state.out;
  } catch (error) {
    if (error instanceof TemplateProblem)
      throw new RenderError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

const NO_FINAL = Symbol('no final value');
type Final = GoValue | typeof NO_FINAL;

class Break {}
class Continue {}

class State {
  out = '';
  private readonly vars: { name: string; value: GoValue }[];

  constructor(
    private readonly data: GoMap,
    private readonly budget: RenderBudget,
    private readonly onRead?: (name: string) => void,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  private step(): void {
    if (--this.budget.steps < 0) {
      throw new TemplateProblem(`template takes more than ${MAX_TEMPLATE_STEPS} steps to render`);
    }
  }

  /** Refuses a string of `length` characters before it is built. */
  readonly size = (length: number): void => {
    if (length > this.budget.chars) {
      throw new TemplateProblem(`template renders more than ${MAX_RENDERED_CHARS} characters`);
    }
  };

  private write(text: string): void {
    this.size(text.length);
    this.budget.chars -= text.length;
    this.out += text;
  }

  walk(nodes: Node[], dot: GoValue): void {
    for (const node of nodes) {
      this.step();
      switch (node.kind) {
        case 'text':
          this.write(node.text);
          break;
        case 'action': {
          const value = this.pipeline(node.pipe, dot);
          if (node.pipe.decl.length === 0) {
            this.size(approxLength(value));
            this.write(printValue(value));
          }
          break;
        }
        case 'if':
        case 'with':
          this.ifOrWith(node, dot);
          break;
        case 'range':
          this.range(node, dot);
          break;
        case 'break':
          throw new Break();
        case 'continue':
          throw new Continue();
      }
    }
  }

  private ifOrWith(node: ControlNode, dot: GoValue): void {
    const mark = this.vars.length;
    const value = this.pipeline(node.pipe, dot);
    if (isTrue(value)) this.walk(node.list, node.kind === 'with' ? value : dot);
    else if (node.elseList) this.walk(node.elseList, dot);
    this.vars.length = mark;
  }

  /** exec.go walkRange: lists in order, maps by sorted key, an int n as 0…n-1; nil runs `else`. */
  private range(node: ControlNode, dot: GoValue): void {
    const mark = this.vars.length;
    const { decl } = node.pipe;
    const value = this.pipeline({ ...node.pipe, decl: [] }, dot);
    let entries: [GoValue, GoValue][];
    if (value instanceof GoList) entries = value.items.map((item, i) => [new GoInt(BigInt(i)), item]);
    else if (value instanceof GoMap)
      entries = sortedKeys(value).map((k) => [k, value.entries.get(k) ?? null]);
    else if (value instanceof GoInt) {
      if (decl.length > 1)
        throw new TemplateProblem(`can't use ${value.value} to iterate over more than one variable`);
      const n =
        value.value > 0n
          ? Number(value.value > BigInt(MAX_TEMPLATE_STEPS) ? MAX_TEMPLATE_STEPS + 1 : value.value)
          : 0;
      entries = Array.from({ length: n }, (_, i) => [new GoInt(BigInt(i)), new GoInt(BigInt(i))]);
    } else if (value === null) entries = [];
    else
      throw new TemplateProblem(
        `range can't iterate over ${typeof value === 'string' ? brief(value) : printValue(value)}`,
      );
    for (const [key, item] of entries) {
      this.step();
      this.vars.length = mark;
      if (decl.length === 1) this.vars.push({ name: decl[0] as string, value: item });
      if (decl.length === 2)
        this.vars.push({ name: decl[0] as string, value: key }, { name: decl[1] as string, value: item });
      try {
        this.walk(node.list, item);
      } catch (signal) {
        if (signal instanceof Break) break;
        if (!(signal instanceof Continue)) throw signal;
      }
    }
    if (entries.length === 0 && node.elseList) {
      this.vars.length = mark;
      this.walk(node.elseList, dot);
    }
    this.vars.length = mark;
  }

  private pipeline(pipe: Pipeline, dot: GoValue): GoValue {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.command(cmd, dot, value);
    const result = value === NO_FINAL ? null : value;
    const [name] = pipe.decl;
    if (name !== undefined) {
      if (pipe.assign) {
        const variable = this.vars.findLast((v) => v.name === name);
        if (!variable) throw new TemplateProblem(`undefined variable: ${name}`);
        variable.value = result;
      } else {
        this.vars.push({ name, value: result });
      }
    }
    return result;
  }

  private command(cmd: Command, dot: GoValue, final: Final): GoValue {
    this.step();
    const [first, ...args] = cmd;
    if (first?.kind === 'function') return this.call(first.name, args, dot, final);
    if (args.length > 0 || final !== NO_FINAL) {
      throw new TemplateProblem(`can't give argument to non-function ${describe(first)}`);
    }
    return this.operand(first as Operand, 'any', dot);
  }

  /** exec.go evalCall: Go's argument count and type checks; `and`/`or` stop at the first deciding value. */
  private call(name: string, argNodes: Operand[], dot: GoValue, final: Final): GoValue {
    const fn = lookupFunction(name) as GoFunction;
    const count = argNodes.length + (final === NO_FINAL ? 0 : 1);
    const fixed = fn.params.length;
    if (fn.variadic ? count < fixed : count !== fixed) {
      throw new TemplateProblem(
        `wrong number of args for ${name}: want ${fn.variadic ? 'at least ' : ''}${fixed} got ${count}`,
      );
    }
    const paramOf = (i: number): Param => fn.params[i] ?? fn.variadic ?? 'any';
    if (name === 'and' || name === 'or') {
      let value: GoValue = null;
      for (let i = 0; i < count; i++) {
        value = i < argNodes.length ? this.operand(argNodes[i] as Operand, 'any', dot) : (final as GoValue);
        if (isTrue(value) !== (name === 'and')) break;
      }
      return value;
    }
    const args = argNodes.map((node, i) => this.operand(node, paramOf(i), dot));
    if (final !== NO_FINAL) args.push(checkType(final, paramOf(args.length)));
    if (fn.size) this.size(fn.size(args));
    const result = fn.call(args);
    if (typeof result === 'string') this.size(result.length);
    return result;
  }

  /** exec.go evalArg: constants are read for the parameter's type; other values must already have it. */
  private operand(node: Operand, param: Param, dot: GoValue): GoValue {
    switch (node.kind) {
      case 'string':
        if (param !== 'any' && param !== 'string')
          throw new TemplateProblem(`expected ${expected(param)}; found ${brief(node.value)}`);
        return node.value;
      case 'bool':
        if (param !== 'any' && param !== 'bool')
          throw new TemplateProblem(`expected ${expected(param)}; found ${node.value}`);
        return node.value;
      case 'nil':
        if (param !== 'any') throw new TemplateProblem(`cannot assign nil to ${param}`);
        return null;
      case 'number':
        if (param === 'int' && node.int !== undefined) return new GoInt(node.int);
        if (param === 'float64' && node.float !== undefined) return node.float;
        if (param === 'any') {
          if (node.isFloatText) return node.float as number;
          if (node.int !== undefined) return new GoInt(node.int);
        }
        throw new TemplateProblem(`expected ${expected(param)}; found ${node.text}`);
      case 'function':
        return checkType(this.call(node.name, [], dot, NO_FINAL), param);
      case 'dot':
        return checkType(this.fields(dot, node.fields), param);
      case 'variable': {
        const variable = this.vars.findLast((v) => v.name === node.name);
        if (!variable) throw new TemplateProblem(`undefined variable: ${node.name}`);
        return checkType(this.fields(variable.value, node.fields), param);
      }
      case 'pipe':
        return checkType(this.fields(this.pipeline(node.pipe, dot), node.fields), param);
    }
  }

  /** `.A.B`: map keys only (the data holds no structs), with Gimlet's missingkey=error. */
  private fields(receiver: GoValue, fields: string[]): GoValue {
    let value = receiver;
    for (const field of fields) {
      if (value instanceof GoMap) {
        if (value === this.data) this.onRead?.(field);
        if (!value.entries.has(field)) {
          throw new TemplateProblem(
            value === this.data
              ? `template variable "${field}" is not set`
              : `map has no entry for key "${field}"`,
          );
        }
        value = value.entries.get(field) ?? null;
      } else if (value === null) {
        throw new TemplateProblem(`nil data; no entry for key "${field}"`);
      } else {
        throw new TemplateProblem(`can't evaluate field ${field} in type ${typeName(value)}`);
      }
    }
    return value;
  }
}

/** exec.go validateType: Go converts nothing, so an int64 (`add`) is refused where an int is expected. */
function checkType(value: GoValue, param: Param): GoValue {
  if (param === 'any') return value;
  if (value === null) throw new TemplateProblem(`invalid value; expected ${param}`);
  const actual = typeName(value);
  if (actual !== param) throw new TemplateProblem(`wrong type for value; expected ${param}; got ${actual}`);
  return value;
}

function expected(param: Param): string {
  return param === 'int' ? 'integer' : param === 'float64' ? 'float' : param;
}

function describe(node: Operand | undefined): string {
  switch (node?.kind) {
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
      return node.text;
    case 'bool':
      return String(node.value);
    case 'dot':
      return node.fields.length ? node.fields.map((f) => `.${f}`).join('') : '.';
    case 'variable':
      return node.name + node.fields.map((f) => `.${f}`).join('');
    default:
      return node?.kind ?? '';
  }
}

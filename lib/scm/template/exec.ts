/**
 * The executor of Go text/template (Go 1.26 semantics, missingkey=default): walks a parsed tree over a data
 * value, evaluating pipelines, variables, field chains and builtins the way Go's `exec.go` does, with its
 * messages: `template: <name>:<line>:<column>: executing "<name>" at <node>: <what went wrong>`.
 */
import { fail, ok, type Result } from "../../spiffe/result.js";
import { compareGoStrings, goQuote } from "../go-text.js";
import {
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  type Node,
  type NumberNode,
  nodeString,
  type PipeNode,
  type TemplateNode,
  type VariableNode,
} from "./ast.js";
import { BUILTINS, isTrue, type ParameterType, truth } from "./builtins.js";
import { findMethod, lookupField } from "./fields.js";
import { printArg, UnsupportedPrint } from "./fmt.js";
import { noFlags } from "./fmt-scalars.js";
import { byteColumn, type TreeSet } from "./parser.js";
import {
  type AnyValue,
  BOOL,
  COMPLEX128,
  FLOAT64,
  fromJson,
  INT,
  INVALID,
  indirect,
  indirectInterface,
  isNilRaw,
  MISSING,
  STRING,
  typeString,
  type Value,
  value,
} from "./value.js";

/** An execution failure: Go's message and the location of the node being evaluated. */
export interface TemplateExecError {
  readonly message: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
}

/** Deep enough for any real template; Go allows 100,000 nested template calls, JavaScript's stack fewer. */
const MAX_TEMPLATE_DEPTH = 100;
/**
 * Nodes one execution may visit. Go has no such bound, so nested ranges can make a template run for ever;
 * an identity template never needs more than a few hundred steps.
 */
const MAX_STEPS = 1_000_000;
/** Nested if/with/range/template executions at once (template calls multiply the parser's nesting bound). */
const MAX_NESTING = 400;

type Final = AnyValue | typeof MISSING;

/** Runs the template `name` of `trees` with `data` as dot and `$`. */
export function executeTrees(
  trees: TreeSet,
  name: string,
  data: AnyValue,
): Result<string, TemplateExecError> {
  const executor = new Executor(trees, name, data);
  try {
    return ok(executor.run());
  } catch (error) {
    if (error instanceof ExecFailure) return fail(error.detail);
    throw error;
  }
}

class ExecFailure extends Error {
  constructor(readonly detail: TemplateExecError) {
    super(detail.message);
  }
}

const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");

interface Variable {
  readonly name: string;
  value: AnyValue;
}

class Executor {
  private node: Node | undefined;
  private vars: Variable[];
  private out = "";
  private depth = 0;
  private steps = 0;
  private nesting = 0;
  private name: string;

  constructor(
    private readonly trees: TreeSet,
    name: string,
    private readonly data: AnyValue,
  ) {
    this.name = name;
    this.vars = [{ name: "$", value: data }];
  }

  run(): string {
    const root = this.trees.get(this.name);
    if (root === undefined) this.errorf(`${goQuote(this.name)} is an incomplete or empty template`);
    this.walk(this.data, root);
    return this.out;
  }

  private errorf(message: string): never {
    const node = this.node;
    if (node === undefined) {
      throw new ExecFailure({
        message: `template: ${this.name}: ${message}`,
        line: undefined,
        column: undefined,
      });
    }
    const { text, parseName } = node.source;
    const line = 1 + countNewlines(text, node.pos);
    const column = byteColumn(text, node.pos);
    const location = `${parseName}:${line}:${column}`;
    throw new ExecFailure({
      message: `template: ${location}: executing ${goQuote(this.name)} at <${nodeString(node)}>: ${message}`,
      line,
      column,
    });
  }

  // Variables.

  private mark(): number {
    return this.vars.length;
  }

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, input: AnyValue): void {
    for (let index = this.vars.length - 1; index >= 0; index--) {
      const variable = this.vars[index];
      if (variable?.name === name) {
        variable.value = input;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, input: AnyValue): void {
    const variable = this.vars[this.vars.length - n];
    if (variable !== undefined) variable.value = input;
  }

  private varValue(name: string): AnyValue {
    for (let index = this.vars.length - 1; index >= 0; index--) {
      const variable = this.vars[index];
      if (variable?.name === name) return variable.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // Walking.

  private walk(dot: AnyValue, node: Node): void {
    this.node = node;
    if (++this.steps > MAX_STEPS) this.errorf(`template execution exceeded ${MAX_STEPS} steps`);
    switch (node.type) {
      case "action": {
        const result = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, result);
        return;
      }
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      case "comment":
        return;
      case "if":
      case "with":
        this.nested(() => this.walkIfOrWith(node, dot));
        return;
      case "list":
        for (const child of node.nodes) this.walk(dot, child);
        return;
      case "range":
        this.nested(() => this.walkRange(dot, node));
        return;
      case "template":
        this.nested(() => this.walkTemplate(dot, node));
        return;
      case "text":
        this.out += node.text;
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private nested(walk: () => void): void {
    if (this.nesting >= MAX_NESTING)
      this.errorf(`if, with, range and template nested more than ${MAX_NESTING} deep`);
    this.nesting++;
    try {
      walk();
    } finally {
      this.nesting--;
    }
  }

  private walkIfOrWith(node: BranchNode, dot: AnyValue): void {
    const mark = this.mark();
    try {
      const result = this.evalPipeline(dot, node.pipe);
      const { truth: isTruthy, ok: meaningful } = isTrue(indirectInterface(result));
      if (!meaningful) this.errorf(`if/with can't use ${this.format(result)}`);
      if (isTruthy) this.walk(node.type === "with" ? result : dot, node.list);
      else if (node.elseList !== undefined) this.walk(dot, node.elseList);
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: AnyValue, node: BranchNode): void {
    this.node = node;
    const outerMark = this.mark();
    try {
      const evaluated = this.evalPipeline(dot, node.pipe);
      const target = evaluated === INVALID ? INVALID : indirect(evaluated).value;
      const mark = this.mark();
      const iterate = (index: AnyValue, element: AnyValue): void =>
        this.rangeIteration(node, mark, index, element);
      if (this.rangeOver(node, target, iterate)) return;
      if (node.elseList !== undefined) this.walk(dot, node.elseList);
    } catch (signal) {
      if (signal !== BREAK) throw signal;
    } finally {
      this.pop(outerMark);
    }
  }

  /** Runs the iterations over `target`; false when there were none (the else branch runs). */
  private rangeOver(
    node: BranchNode,
    target: AnyValue,
    iterate: (index: AnyValue, element: AnyValue) => void,
  ): boolean {
    if (target === INVALID) return false;
    const type = target.type;
    switch (type.kind) {
      case "int":
      case "uint": {
        if (node.pipe.decl.length > 1)
          this.errorf(`can't use ${this.format(target)} to iterate over more than one variable`);
        const count = target.raw as bigint;
        for (let index = 0n; index < count; index++) iterate(INVALID, value(type, index));
        return count > 0n;
      }
      case "slice": {
        const items = Array.isArray(target.raw) ? target.raw : [];
        items.forEach((item, index) => {
          iterate(value(INT, BigInt(index)), fromJson(type.elem, item, true));
        });
        return items.length > 0;
      }
      case "map": {
        const entries = (target.raw ?? {}) as Record<string, unknown>;
        const keys = Object.keys(entries).sort(compareGoStrings);
        for (const key of keys)
          iterate(fromJson(type.key, key, false), fromJson(type.elem, entries[key], false));
        return keys.length > 0;
      }
      default:
        return this.errorf(`range can't iterate over ${this.format(target)}`);
    }
  }

  private rangeIteration(node: BranchNode, mark: number, index: AnyValue, element: AnyValue): void {
    const { decl, isAssign } = node.pipe;
    const first = decl[0]?.ident[0];
    const second = decl[1]?.ident[0];
    if (first !== undefined) {
      if (isAssign) this.setVar(first, second !== undefined ? index : element);
      else this.setTopVar(1, element);
    }
    if (second !== undefined) {
      if (isAssign) this.setVar(second, element);
      else this.setTopVar(2, index);
    }
    try {
      this.walk(element, node.list);
    } catch (signal) {
      if (signal !== CONTINUE) throw signal;
    } finally {
      this.pop(mark);
    }
  }

  private walkTemplate(dot: AnyValue, node: TemplateNode): void {
    this.node = node;
    const root = this.trees.get(node.name);
    if (root === undefined) this.errorf(`template ${goQuote(node.name)} not defined`);
    if (this.depth === MAX_TEMPLATE_DEPTH)
      this.errorf(`exceeded maximum template depth (${MAX_TEMPLATE_DEPTH})`);
    const newDot = this.evalPipeline(dot, node.pipe);
    const saved = { vars: this.vars, name: this.name };
    this.vars = [{ name: "$", value: newDot }];
    this.name = node.name;
    this.depth++;
    try {
      this.walk(newDot, root);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.name = saved.name;
    }
  }

  // Evaluation.

  private evalPipeline(dot: AnyValue, pipe: PipeNode | undefined): AnyValue {
    if (pipe === undefined) return INVALID;
    this.node = pipe;
    let result: Final = MISSING;
    for (const command of pipe.cmds) {
      let next = this.evalCommand(dot, command, result);
      if (next !== INVALID && next.type.kind === "interface") next = indirectInterface(next);
      result = next;
    }
    const final = result === MISSING ? INVALID : result;
    for (const variable of pipe.decl) {
      const name = variable.ident[0] ?? "";
      if (pipe.isAssign) this.setVar(name, final);
      else this.vars.push({ name, value: final });
    }
    return final;
  }

  private notAFunction(args: readonly Node[], final: Final): void {
    const [first] = args;
    if (args.length > 1 || final !== MISSING)
      this.errorf(`can't give argument to non-function ${first === undefined ? "" : nodeString(first)}`);
  }

  private evalCommand(dot: AnyValue, command: CommandNode, final: Final): AnyValue {
    const first = command.args[0];
    if (first === undefined) return this.errorf("empty command");
    switch (first.type) {
      case "field":
        return this.evalFieldNode(dot, first, command.args, final);
      case "chain":
        return this.evalChainNode(dot, first, command.args, final);
      case "identifier":
        return this.evalFunction(dot, first, command, command.args, final);
      case "pipe":
        this.notAFunction(command.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(first, command.args, final);
    }
    this.node = first;
    this.notAFunction(command.args, final);
    switch (first.type) {
      case "bool":
        return value(BOOL, first.value);
      case "dot":
        return dot;
      case "nil":
        return this.errorf("nil is not a command");
      case "number":
        return this.idealConstant(first);
      case "string":
        return value(STRING, first.text);
    }
    return this.errorf(`can't evaluate command ${goQuote(nodeString(first))}`);
  }

  private idealConstant(constant: NumberNode): AnyValue {
    this.node = constant;
    const text = constant.text;
    if (constant.isComplex) return value(COMPLEX128, constant.complex);
    const hexInt =
      text.length > 2 && text[0] === "0" && (text[1] === "x" || text[1] === "X") && !/[pP]/.test(text);
    if (constant.isFloat && !hexInt && !text.startsWith("'") && /[.eEpP]/.test(text))
      return value(FLOAT64, constant.float64);
    if (constant.isInt) return value(INT, constant.int64);
    if (constant.isUint) this.errorf(`${text} overflows int`);
    return INVALID;
  }

  private evalFieldNode(dot: AnyValue, field: FieldNode, args: readonly Node[], final: Final): AnyValue {
    this.node = field;
    return this.evalFieldChain(dot, field, field.ident, args, final);
  }

  private evalChainNode(
    dot: AnyValue,
    chain: ChainNode,
    args: readonly Node[] | undefined,
    final: Final,
  ): AnyValue {
    this.node = chain;
    if (chain.node.type === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(receiver, chain, chain.fields, args, final);
  }

  private evalVariableNode(
    variable: VariableNode,
    args: readonly Node[] | undefined,
    final: Final,
  ): AnyValue {
    this.node = variable;
    const current = this.varValue(variable.ident[0] ?? "");
    if (variable.ident.length === 1) {
      this.notAFunction(args ?? [], final);
      return current;
    }
    return this.evalFieldChain(current, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(
    start: AnyValue,
    node: Node,
    idents: readonly string[],
    args: readonly Node[] | undefined,
    final: Final,
  ): AnyValue {
    let receiver = start;
    for (const ident of idents.slice(0, -1))
      receiver = this.evalField(ident, node, undefined, MISSING, receiver);
    return this.evalField(idents[idents.length - 1] ?? "", node, args, final, receiver);
  }

  private evalFunction(
    dot: AnyValue,
    node: IdentifierNode,
    command: Node,
    args: readonly Node[] | undefined,
    final: Final,
  ): AnyValue {
    this.node = node;
    return this.evalCall(dot, node.ident, command, args, final);
  }

  private evalField(
    name: string,
    node: Node,
    args: readonly Node[] | undefined,
    final: Final,
    receiver: AnyValue,
  ): AnyValue {
    if (receiver === INVALID) return INVALID;
    const type = receiver.type;
    const { value: target, isNil } = indirect(receiver);
    if (target.type.kind === "interface" && isNil)
      this.errorf(`nil pointer evaluating ${typeString(type)}.${name}`);
    const pointerMethods = target.type.kind === "pointer" || target.addressable;
    const methodReceiver =
      target.type.kind === "pointer" ? fromJson(target.type.elem, undefined, true) : target;
    const method = findMethod(methodReceiver, name, pointerMethods, isNil);
    if (method !== undefined) return this.callMethod(name, node, args, final, method);
    const hasArgs = (args?.length ?? 0) > 1 || final !== MISSING;
    if (target.type.kind === "struct") {
      const field = lookupField(target, name);
      if (field.found) {
        if (!field.exported) this.errorf(`${name} is an unexported field of struct type ${typeString(type)}`);
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return field.value();
      }
    } else if (target.type.kind === "map" && typeString(target.type.key) === "string") {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      const entries = target.raw as Record<string, unknown> | undefined | null;
      if (entries === undefined || entries === null || !Object.hasOwn(entries, name)) return INVALID;
      return fromJson(target.type.elem, entries[name], false);
    } else if (target.type.kind === "pointer" && isNil) {
      const elem = target.type.elem;
      if (elem.kind !== "struct" || lookupField(fromJson(elem, undefined, false), name).found) {
        this.errorf(`nil pointer evaluating ${typeString(type)}.${name}`);
      }
    }
    return this.errorf(`can't evaluate field ${name} in type ${typeString(type)}`);
  }

  private callMethod(
    name: string,
    node: Node,
    args: readonly Node[] | undefined,
    final: Final,
    method: { arity: number; call: () => Result<AnyValue> },
  ): AnyValue {
    const given = (args === undefined ? 0 : args.length - 1) + (final === MISSING ? 0 : 1);
    if (given !== method.arity)
      this.errorf(`wrong number of args for ${name}: want ${method.arity} got ${given}`);
    const result = method.call();
    if (!result.ok) {
      this.node = node;
      this.errorf(`error calling ${name}: ${result.error}`);
    }
    return result.value;
  }

  private evalCall(
    dot: AnyValue,
    name: string,
    node: Node,
    allArgs: readonly Node[] | undefined,
    final: Final,
  ): AnyValue {
    const builtin = BUILTINS.get(name);
    if (builtin === undefined) return this.errorf(`${goQuote(name)} is not a defined function`);
    const args = allArgs === undefined ? [] : allArgs.slice(1);
    const count = args.length + (final === MISSING ? 0 : 1);
    const fixed = builtin.fixed.length;
    if (builtin.variadic !== undefined) {
      if (count < fixed)
        this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${args.length}`);
    } else if (count !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${count}`);
    }
    if (name === "and" || name === "or") return this.evalAndOr(dot, name, args, final);
    const parameter = (position: number): ParameterType =>
      builtin.fixed[position] ?? builtin.variadic ?? "reflect";
    const values = args.map((arg, position) => this.evalArg(dot, parameter(position), arg));
    if (final !== MISSING) values.push(this.validateType(final, parameter(values.length)));
    if (name === "call") {
      const callee =
        args[0] === undefined ? this.format(final === MISSING ? INVALID : final) : nodeString(args[0]);
      return this.callFailed(node, name, callError(values[0] ?? INVALID, callee));
    }
    const result = this.runBuiltin(builtin, values);
    if (!result.ok) return this.callFailed(node, name, result.error);
    return result.value;
  }

  private runBuiltin(
    builtin: { run: (args: readonly AnyValue[]) => Result<AnyValue> },
    values: AnyValue[],
  ): Result<AnyValue> {
    try {
      return builtin.run(values);
    } catch (error) {
      if (error instanceof UnsupportedPrint) return fail(error.message);
      throw error;
    }
  }

  private callFailed(node: Node, name: string, message: string): never {
    this.node = node;
    return this.errorf(`error calling ${name}: ${message}`);
  }

  /** `and`/`or`: evaluate left to right, stop at the deciding value and return it (not a boolean). */
  private evalAndOr(dot: AnyValue, name: string, args: readonly Node[], final: Final): AnyValue {
    let result: AnyValue = INVALID;
    for (const arg of args) {
      result = this.evalArg(dot, "reflect", arg);
      if (truth(result) === (name === "or")) return result;
    }
    if (final !== MISSING) result = this.validateType(final, "reflect");
    return result;
  }

  private evalArg(dot: AnyValue, parameter: ParameterType | undefined, node: Node): AnyValue {
    this.node = node;
    switch (node.type) {
      case "dot":
        return this.validateType(dot, parameter);
      case "nil":
        if (parameter === "string") this.errorf("cannot assign nil to string");
        return INVALID;
      case "field":
        return this.validateType(this.evalFieldNode(dot, node, [node], MISSING), parameter);
      case "variable":
        return this.validateType(this.evalVariableNode(node, undefined, MISSING), parameter);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, node), parameter);
      case "identifier":
        return this.validateType(this.evalFunction(dot, node, node, undefined, MISSING), parameter);
      case "chain":
        return this.validateType(this.evalChainNode(dot, node, undefined, MISSING), parameter);
    }
    if (parameter === "string") {
      if (node.type === "string") return value(STRING, node.text);
      return this.errorf(`expected string; found ${nodeString(node)}`);
    }
    switch (node.type) {
      case "bool":
        return value(BOOL, node.value);
      case "number":
        return this.idealConstant(node);
      case "string":
        return value(STRING, node.text);
    }
    return this.errorf(`can't handle assignment of ${nodeString(node)} to empty interface argument`);
  }

  /** Go's `validateType` for the three parameter kinds builtins have. */
  private validateType(input: AnyValue, parameter: ParameterType | undefined): AnyValue {
    if (input === INVALID) {
      if (parameter === "string") this.errorf("invalid value; expected string");
      return INVALID;
    }
    if (parameter === "any") return { ...input, addressable: false };
    if (parameter !== "string") return input;
    if (typeString(input.type) === "string") return input;
    if (input.type.kind === "pointer" && typeString(input.type.elem) === "string") {
      if (isNilRaw(input.raw)) this.errorf("dereference of nil pointer of type string");
      return indirect(input).value;
    }
    return this.errorf(`wrong type for value; expected string; got ${typeString(input.type)}`);
  }

  private printValue(node: Node, input: AnyValue): void {
    this.node = node;
    let printable = input;
    if (printable !== INVALID && printable.type.kind === "pointer") printable = indirect(printable).value;
    if (printable === INVALID) {
      this.out += "<no value>";
      return;
    }
    try {
      this.out += printArg(printable, "v", noFlags());
    } catch (error) {
      if (error instanceof UnsupportedPrint) this.errorf(error.message);
      throw error;
    }
  }

  /** A value as `%v` prints it, for messages. */
  private format(input: AnyValue): string {
    try {
      return input === INVALID ? "<invalid reflect.Value>" : printArg(input, "v", noFlags());
    } catch {
      return typeString((input as Value).type);
    }
  }
}

/** `call`'s failure: templates here have no function values, so Go's `call` can only fail. */
function callError(callee: AnyValue, name: string): string {
  const target = indirectInterface(callee);
  if (target === INVALID) return "call of nil";
  return `non-function ${name} of type ${typeString(target.type)}`;
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let index = text.indexOf("\n"); index !== -1 && index < end; index = text.indexOf("\n", index + 1))
    count++;
  return count;
}

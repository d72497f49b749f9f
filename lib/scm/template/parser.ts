/**
 * The parser of Go `text/template` (Go 1.26 semantics), with Go's grammar, checks and messages: `template:
 * <name>:<line>: <what is wrong>`. It accepts everything Go's parser accepts with only the builtin functions
 * defined (SCM adds none): actions, pipelines, variables, parenthesised pipelines, literals, if/with/range
 * with else chains, break/continue, define/template/block. An unknown function is a parse error, as in Go.
 * The line in a message is that of the last token read, as Go reports it.
 */
import { fail, ok, type Result } from "../../spiffe/result.js";
import { goQuote } from "../go-text.js";
import type {
  BranchNode,
  CommandNode,
  EndNode,
  ListNode,
  Node,
  PipeNode,
  TemplateNode,
  TreeSource,
  VariableNode,
} from "./ast.js";
import { nodeString } from "./ast.js";
import { BUILTIN_NAMES } from "./builtin-names.js";
import { isKeyword, lex, type Token, type TokenKind } from "./lexer.js";
import { parseNumberLiteral, unquoteString } from "./literals.js";

/** The trees of one parsed text: the main template under its name, plus each `{{define}}`d one. */
export type TreeSet = ReadonlyMap<string, ListNode>;

/**
 * Go allows 10,000 nested parentheses and unbounded nesting of if/with/range; JavaScript's stack does not.
 * Both are capped here (far beyond any real template), the parentheses with Go's message.
 */
const MAX_PAREN_DEPTH = 300;
const MAX_CONTROL_DEPTH = 300;

/** A parse failure: Go's message, plus the line and (0-based, in bytes) column of the offending token. */
export interface TemplateParseError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/** Parses `text` as the template `name`. */
export function parseTemplateTrees(name: string, text: string): Result<TreeSet, TemplateParseError> {
  const stream = new TokenStream(lex(text));
  const source: TreeSource = { parseName: name, text };
  const trees = new Map<string, ListNode>();
  try {
    new TreeParser(name, source, stream, trees).parseTop();
    return ok(trees);
  } catch (error) {
    if (!(error instanceof ParseFailure)) throw error;
    return fail({
      message: error.message,
      line: error.token.line,
      column: byteColumn(text, error.token.pos),
    });
  }
}

/** Thrown inside the parser to unwind to `parseTemplateTrees`; never escapes it. */
class ParseFailure extends Error {
  constructor(
    message: string,
    readonly token: Token,
  ) {
    super(message);
  }
}

/** The shared token sequence that the main parser and those of nested definitions read in turn. */
class TokenStream {
  private index = 0;
  constructor(private readonly tokens: readonly Token[]) {}
  read(): Token {
    const token = this.tokens[Math.min(this.index, this.tokens.length - 1)];
    this.index++;
    if (token === undefined) throw new Error("token stream is empty");
    return token;
  }
}

class TreeParser {
  private readonly lookahead: Token[] = [];
  private peekCount = 0;
  private vars: string[] = ["$"];
  private actionLine = 0;
  private rangeDepth = 0;
  private parenDepth = 0;
  private controlDepth = 0;
  root: ListNode | undefined;

  constructor(
    private name: string,
    private readonly source: TreeSource,
    private readonly stream: TokenStream,
    private readonly trees: Map<string, ListNode>,
  ) {}

  // Token buffer: Go's three-token lookahead, kept exact because messages report the line of token[0].

  private next(): Token {
    if (this.peekCount > 0) this.peekCount--;
    else this.lookahead[0] = this.stream.read();
    return this.token(this.peekCount);
  }

  private token(index: number): Token {
    const token = this.lookahead[index];
    if (token === undefined) throw new Error("template parser read an empty lookahead slot");
    return token;
  }

  private backup(): void {
    this.peekCount++;
  }

  private backup2(t1: Token): void {
    this.lookahead[1] = t1;
    this.peekCount = 2;
  }

  private backup3(t2: Token, t1: Token): void {
    this.lookahead[1] = t1;
    this.lookahead[2] = t2;
    this.peekCount = 3;
  }

  private peek(): Token {
    if (this.peekCount > 0) return this.token(this.peekCount - 1);
    this.peekCount = 1;
    this.lookahead[0] = this.stream.read();
    return this.token(0);
  }

  private nextNonSpace(): Token {
    for (;;) {
      const token = this.next();
      if (token.kind !== "space") return token;
    }
  }

  private peekNonSpace(): Token {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  private errorf(message: string): never {
    const token = this.lookahead[0] ?? { kind: "eof", pos: 0, value: "", line: 1 };
    throw new ParseFailure(`template: ${this.source.parseName}:${token.line}: ${message}`, token);
  }

  private expect(kind: TokenKind, context: string): Token {
    const token = this.nextNonSpace();
    if (token.kind !== kind) this.unexpected(token, context);
    return token;
  }

  private unexpected(token: Token, context: string): never {
    if (token.kind === "error") {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.source.parseName}:${this.actionLine}`;
        if (token.value.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf(`${token.value}${extra}`);
    }
    this.errorf(`unexpected ${tokenString(token)} in ${context}`);
  }

  private base(pos: number): { pos: number; source: TreeSource } {
    return { pos, source: this.source };
  }

  private newList(pos: number): ListNode {
    return { type: "list", nodes: [], ...this.base(pos) };
  }

  // Grammar.

  parseTop(): void {
    this.root = this.newList(this.peek().pos);
    while (this.peek().kind !== "eof") {
      if (this.peek().kind === "leftDelim") {
        const delim = this.next();
        if (this.nextNonSpace().kind === "define") {
          const definition = new TreeParser("definition", this.source, this.stream, this.trees);
          definition.parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const node = this.textOrAction();
      if (node.type === "end" || node.type === "else") this.errorf(`unexpected ${nodeString(node)}`);
      this.root.nodes.push(node);
    }
    this.add();
  }

  private parseDefinition(): void {
    const context = "define clause";
    const token = this.nextNonSpace();
    if (token.kind !== "string" && token.kind !== "rawString") this.unexpected(token, context);
    const name = unquoteString(token.value);
    if (!name.ok) this.errorf(name.error);
    this.name = name.value;
    this.expect("rightDelim", context);
    const { list, end } = this.itemList();
    this.root = list;
    if (end.type !== "end") this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.add();
  }

  private add(): void {
    const root = this.root ?? this.newList(0);
    const existing = this.trees.get(this.name);
    if (existing === undefined || isEmptyTree(existing)) {
      this.trees.set(this.name, root);
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${goQuote(this.name)}`);
  }

  private itemList(): { list: ListNode; end: EndNode } {
    const list = this.newList(this.peekNonSpace().pos);
    while (this.peekNonSpace().kind !== "eof") {
      const node = this.textOrAction();
      if (node.type === "end" || node.type === "else") return { list, end: node };
      list.nodes.push(node);
    }
    return this.errorf("unexpected EOF");
  }

  private textOrAction(): Node {
    const token = this.nextNonSpace();
    if (token.kind === "text") return { type: "text", text: token.value, ...this.base(token.pos) };
    if (token.kind === "leftDelim") {
      this.actionLine = token.line;
      try {
        return this.action();
      } finally {
        this.actionLine = 0;
      }
    }
    return this.unexpected(token, "input");
  }

  private action(): Node {
    const token = this.nextNonSpace();
    switch (token.kind) {
      case "block":
        return this.blockControl();
      case "break":
      case "continue":
        return this.loopControl(token);
      case "else":
        return this.elseControl();
      case "end":
        return { type: "end", ...this.base(this.expect("rightDelim", "end").pos) };
      case "if":
      case "range":
      case "with":
        return this.branchControl(token.kind);
      case "template":
        return this.templateControl();
    }
    this.backup();
    const start = this.peek();
    return { type: "action", pipe: this.pipeline("command", "rightDelim"), ...this.base(start.pos) };
  }

  private loopControl(keyword: Token): Node {
    const name = keyword.kind === "break" ? "break" : "continue";
    const token = this.nextNonSpace();
    if (token.kind !== "rightDelim") this.unexpected(token, `{{${name}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${name}}} outside {{range}}`);
    return { type: name, ...this.base(keyword.pos) };
  }

  private pipeline(context: string, end: TokenKind): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { type: "pipe", isAssign: false, decl: [], cmds: [], ...this.base(start.pos) };
    this.declarations(pipe, context);
    for (;;) {
      const token = this.nextNonSpace();
      if (token.kind === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      if (OPERAND_STARTS.has(token.kind)) {
        this.backup();
        pipe.cmds.push(this.command());
      } else {
        this.unexpected(token, context);
      }
    }
  }

  /** `$x :=`, `$x =`, and range's `$i, $v :=` at the start of a pipeline. */
  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const variable = this.peekNonSpace();
      if (variable.kind !== "variable") return;
      this.next();
      const afterVariable = this.peek();
      const following = this.peekNonSpace();
      if (following.kind === "assign" || following.kind === "declare") {
        pipe.isAssign = following.kind === "assign";
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(variable.pos, variable.value));
        this.vars.push(variable.value);
        return;
      }
      if (following.kind === "char" && following.value === ",") {
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(variable.pos, variable.value));
        this.vars.push(variable.value);
        if (context === "range" && pipe.decl.length < 2) {
          const kind = this.peekNonSpace().kind;
          if (kind === "variable" || kind === "rightDelim" || kind === "rightParen") continue;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      }
      if (afterVariable.kind === "space") this.backup3(variable, afterVariable);
      else this.backup2(variable);
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((command, index) => {
      const first = command.args[0]?.type;
      if (
        first === "bool" ||
        first === "dot" ||
        first === "nil" ||
        first === "number" ||
        first === "string"
      ) {
        this.errorf(`non executable command in pipeline stage ${index + 2}`);
      }
    });
  }

  private parseControl(context: "if" | "range" | "with"): Omit<BranchNode, "type" | "source"> {
    const mark = this.vars.length;
    if (this.controlDepth >= MAX_CONTROL_DEPTH) {
      this.errorf(`if, with and range nested more than ${MAX_CONTROL_DEPTH} deep are not supported`);
    }
    this.controlDepth++;
    try {
      const pipe = this.pipeline(context, "rightDelim");
      if (context === "range") this.rangeDepth++;
      const { list, end } = this.itemList();
      if (context === "range") this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (end.type === "else") {
        const chained = this.peek().kind;
        if ((context === "if" && chained === "if") || (context === "with" && chained === "with")) {
          // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` with the inner end shared.
          this.next();
          elseList = this.newList(end.pos);
          elseList.nodes.push(this.branchControl(context));
        } else {
          const rest = this.itemList();
          elseList = rest.list;
          if (rest.end.type !== "end") this.errorf(`expected end; found ${nodeString(rest.end)}`);
        }
      }
      return { pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
      this.controlDepth--;
    }
  }

  private branchControl(kind: "if" | "range" | "with"): BranchNode {
    return { type: kind, source: this.source, ...this.parseControl(kind) };
  }

  private elseControl(): Node {
    const following = this.peekNonSpace();
    if (following.kind === "if" || following.kind === "with")
      return { type: "else", ...this.base(following.pos) };
    const token = this.expect("rightDelim", "else");
    return { type: "else", ...this.base(token.pos) };
  }

  private blockControl(): Node {
    const context = "block clause";
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, "rightDelim");
    const block = new TreeParser(name, this.source, this.stream, this.trees);
    const { list, end } = block.itemList();
    block.root = list;
    if (end.type !== "end") this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    block.add();
    const node: TemplateNode = { type: "template", name, pipe, ...this.base(token.pos) };
    return node;
  }

  private templateControl(): Node {
    const context = "template clause";
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().kind !== "rightDelim") {
      this.backup();
      pipe = this.pipeline(context, "rightDelim");
    }
    return { type: "template", name, pipe, ...this.base(token.pos) };
  }

  private templateName(token: Token, context: string): string {
    if (token.kind !== "string" && token.kind !== "rawString") return this.unexpected(token, context);
    const name = unquoteString(token.value);
    if (!name.ok) this.errorf(name.error);
    return name.value;
  }

  private command(): CommandNode {
    const command: CommandNode = { type: "command", args: [], ...this.base(this.peekNonSpace().pos) };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== undefined) command.args.push(operand);
      const token = this.next();
      if (token.kind === "space") continue;
      if (token.kind === "rightDelim" || token.kind === "rightParen") this.backup();
      else if (token.kind !== "pipe") this.unexpected(token, "operand");
      break;
    }
    if (command.args.length === 0) this.errorf("empty command");
    return command;
  }

  private operand(): Node | undefined {
    const node = this.term();
    if (node === undefined || this.peek().kind !== "field") return node;
    const chainPos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().kind === "field") fields.push(this.next().value.slice(1));
    switch (node.type) {
      case "field":
        return { type: "field", ident: [...node.ident, ...fields], ...this.base(chainPos) };
      case "variable":
        return this.newVariable(chainPos, [...node.ident, ...fields].join("."));
      case "bool":
      case "string":
      case "number":
      case "nil":
      case "dot":
        return this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return { type: "chain", node, fields, ...this.base(chainPos) };
    }
  }

  private term(): Node | undefined {
    const token = this.nextNonSpace();
    switch (token.kind) {
      case "identifier":
        if (!BUILTIN_NAMES.has(token.value)) this.errorf(`function ${goQuote(token.value)} not defined`);
        return { type: "identifier", ident: token.value, ...this.base(token.pos) };
      case "dot":
        return { type: "dot", ...this.base(token.pos) };
      case "nil":
        return { type: "nil", ...this.base(token.pos) };
      case "variable":
        return this.useVariable(token.pos, token.value);
      case "field":
        return { type: "field", ident: token.value.slice(1).split("."), ...this.base(token.pos) };
      case "bool":
        return { type: "bool", value: token.value === "true", ...this.base(token.pos) };
      case "charConstant":
      case "complex":
      case "number": {
        const number = parseNumberLiteral(token.value, token.kind);
        if (!number.ok) this.errorf(number.error);
        return { type: "number", text: token.value, ...number.value, ...this.base(token.pos) };
      }
      case "leftParen": {
        if (this.parenDepth >= MAX_PAREN_DEPTH) this.errorf("max expression depth exceeded");
        this.parenDepth++;
        try {
          return this.pipeline("parenthesized pipeline", "rightParen");
        } finally {
          this.parenDepth--;
        }
      }
      case "string":
      case "rawString": {
        const text = unquoteString(token.value);
        if (!text.ok) this.errorf(text.error);
        return { type: "string", quoted: token.value, text: text.value, ...this.base(token.pos) };
      }
    }
    this.backup();
    return undefined;
  }

  private newVariable(pos: number, ident: string): VariableNode {
    return { type: "variable", ident: ident.split("."), ...this.base(pos) };
  }

  private useVariable(pos: number, name: string): VariableNode {
    const variable = this.newVariable(pos, name);
    const head = variable.ident[0] ?? "";
    if (!this.vars.includes(head)) this.errorf(`undefined variable ${goQuote(head)}`);
    return variable;
  }
}

const OPERAND_STARTS: ReadonlySet<TokenKind> = new Set([
  "bool",
  "charConstant",
  "complex",
  "dot",
  "field",
  "identifier",
  "number",
  "nil",
  "rawString",
  "string",
  "variable",
  "leftParen",
]);

/** A token as Go's parser names it in messages: `EOF`, `<keyword>`, or the quoted text (cut at 10 runes). */
function tokenString(token: Token): string {
  if (token.kind === "eof") return "EOF";
  if (token.kind === "error") return token.value;
  if (isKeyword(token.kind)) return `<${token.value}>`;
  const runes = [...token.value];
  if (runes.length > 10) return `${goQuote(runes.slice(0, 10).join(""))}...`;
  return goQuote(token.value);
}

/** Whether a tree holds nothing but white space and comments (it may then be redefined). */
function isEmptyTree(node: Node): boolean {
  switch (node.type) {
    case "list":
      return node.nodes.every(isEmptyTree);
    case "comment":
      return true;
    case "text":
      return node.text.trim() === "";
    default:
      return false;
  }
}

/** The 0-based column of `pos` on its line, in UTF-8 bytes (Go's positions are byte offsets). */
export function byteColumn(text: string, pos: number): number {
  const lineStart = text.lastIndexOf("\n", pos - 1) + 1;
  return new TextEncoder().encode(text.slice(lineStart, pos)).length;
}

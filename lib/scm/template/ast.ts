/**
 * The parse tree of a Go text/template, with Go's node kinds and their `String()` forms (execution errors
 * quote a node as `at <...>`). Every node records its position (a UTF-16 index) and the tree it belongs to,
 * for the `name:line:column` of error messages.
 */
import { goQuote } from "../go-text.js";

/** The source a node was parsed from: error locations are computed against it. */
export interface TreeSource {
  /** The top-level template's name, used in every location (Go's `ParseName`). */
  readonly parseName: string;
  readonly text: string;
}

interface Base {
  readonly pos: number;
  readonly source: TreeSource;
}

export interface ListNode extends Base {
  readonly type: "list";
  readonly nodes: Node[];
}
export interface TextNode extends Base {
  readonly type: "text";
  readonly text: string;
}
export interface CommentNode extends Base {
  readonly type: "comment";
  readonly text: string;
}
export interface ActionNode extends Base {
  readonly type: "action";
  readonly pipe: PipeNode;
}
export interface PipeNode extends Base {
  readonly type: "pipe";
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface CommandNode extends Base {
  readonly type: "command";
  readonly args: Node[];
}
export interface IdentifierNode extends Base {
  readonly type: "identifier";
  readonly ident: string;
}
export interface VariableNode extends Base {
  readonly type: "variable";
  readonly ident: readonly string[];
}
export interface DotNode extends Base {
  readonly type: "dot";
}
export interface NilNode extends Base {
  readonly type: "nil";
}
export interface FieldNode extends Base {
  readonly type: "field";
  readonly ident: readonly string[];
}
export interface ChainNode extends Base {
  readonly type: "chain";
  readonly node: Node;
  readonly fields: string[];
}
export interface BoolNode extends Base {
  readonly type: "bool";
  readonly value: boolean;
}
/** A number literal, stored under every Go type that can represent it (Go's ideal constants). */
export interface NumberNode extends Base {
  readonly type: "number";
  readonly text: string;
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  readonly isComplex: boolean;
  readonly int64: bigint;
  readonly uint64: bigint;
  readonly float64: number;
  readonly complex: { readonly re: number; readonly im: number };
}
export interface StringNode extends Base {
  readonly type: "string";
  readonly quoted: string;
  readonly text: string;
}
export interface BranchNode extends Base {
  readonly type: "if" | "range" | "with";
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}
export interface TemplateNode extends Base {
  readonly type: "template";
  readonly name: string;
  readonly pipe: PipeNode | undefined;
}
export interface BreakNode extends Base {
  readonly type: "break";
}
export interface ContinueNode extends Base {
  readonly type: "continue";
}
/** `{{end}}` and `{{else}}`: parser markers only, never in a finished tree. */
export interface EndNode extends Base {
  readonly type: "end" | "else";
}

export type Node =
  | ListNode
  | TextNode
  | CommentNode
  | ActionNode
  | PipeNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | BranchNode
  | TemplateNode
  | BreakNode
  | ContinueNode
  | EndNode;

/** A node as Go's `String()` prints it. */
export function nodeString(node: Node): string {
  switch (node.type) {
    case "list":
      return node.nodes.map(nodeString).join("");
    case "text":
      return node.text;
    case "comment":
      return `{{${node.text}}}`;
    case "action":
      return `{{${nodeString(node.pipe)}}}`;
    case "pipe":
      return pipeString(node);
    case "command":
      return node.args
        .map((arg) => (arg.type === "pipe" ? `(${nodeString(arg)})` : nodeString(arg)))
        .join(" ");
    case "identifier":
      return node.ident;
    case "variable":
      return node.ident.join(".");
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "field":
      return node.ident.map((ident) => `.${ident}`).join("");
    case "chain":
      return `${node.node.type === "pipe" ? `(${nodeString(node.node)})` : nodeString(node.node)}${node.fields.map((field) => `.${field}`).join("")}`;
    case "bool":
      return node.value ? "true" : "false";
    case "number":
      return node.text;
    case "string":
      return node.quoted;
    case "if":
    case "range":
    case "with":
      return `{{${node.type} ${nodeString(node.pipe)}}}${nodeString(node.list)}${node.elseList === undefined ? "" : `{{else}}${nodeString(node.elseList)}`}{{end}}`;
    case "template":
      return `{{template ${goQuote(node.name)}${node.pipe === undefined ? "" : ` ${nodeString(node.pipe)}`}}}`;
    case "break":
      return "{{break}}";
    case "continue":
      return "{{continue}}";
    case "end":
      return "{{end}}";
    case "else":
      return "{{else}}";
  }
}

function pipeString(pipe: PipeNode): string {
  const decl = pipe.decl.map(nodeString).join(", ");
  const prefix = pipe.decl.length === 0 ? "" : `${decl}${pipe.isAssign ? " = " : " := "}`;
  return prefix + pipe.cmds.map(nodeString).join(" | ");
}

/**
 * The scanner of Go `text/template` (Go 1.26 semantics): text, `{{ }}` actions with `{{- ` / ` -}}` trim
 * markers, comment actions (slash-star ... star-slash), and inside actions identifiers, fields, variables, strings, numbers and
 * punctuation. It produces every token up front (scanning never depends on the parser), ending with an EOF
 * or an error token whose value is Go's message. Positions are UTF-16 indexes into the source; lines count
 * from 1.
 */
import { goQuote, isGoPrint } from "../go-text.js";

export type TokenKind =
  | "error"
  | "bool"
  | "char"
  | "charConstant"
  | "complex"
  | "assign"
  | "declare"
  | "eof"
  | "field"
  | "identifier"
  | "leftDelim"
  | "leftParen"
  | "number"
  | "pipe"
  | "rawString"
  | "rightDelim"
  | "rightParen"
  | "space"
  | "string"
  | "text"
  | "variable"
  | Keyword;

export type Keyword =
  | "block"
  | "break"
  | "continue"
  | "dot"
  | "define"
  | "else"
  | "end"
  | "if"
  | "nil"
  | "range"
  | "template"
  | "with";

export interface Token {
  readonly kind: TokenKind;
  readonly pos: number;
  readonly value: string;
  readonly line: number;
}

const KEYWORDS: ReadonlyMap<string, Keyword> = new Map([
  [".", "dot"],
  ["block", "block"],
  ["break", "break"],
  ["continue", "continue"],
  ["define", "define"],
  ["else", "else"],
  ["end", "end"],
  ["if", "if"],
  ["range", "range"],
  ["nil", "nil"],
  ["template", "template"],
  ["with", "with"],
]);

/** Whether a token kind is a keyword (Go prints those as `<name>` in messages). */
export function isKeyword(kind: TokenKind): kind is Keyword {
  return kind === "dot" || KEYWORD_KINDS.has(kind);
}
const KEYWORD_KINDS: ReadonlySet<TokenKind> = new Set(KEYWORDS.values());

const LEFT_DELIM = "{{";
const RIGHT_DELIM = "}}";
const LEFT_COMMENT = "/*";
const RIGHT_COMMENT = "*/";
const SPACE_CHARS = " \t\r\n";
const ALPHANUMERIC = /^[\p{L}\p{Nd}_]$/u;

/** Scans `input` into tokens. */
export function lex(input: string): Token[] {
  return new Lexer(input).run();
}

class Lexer {
  private pos = 0;
  private start = 0;
  private parenDepth = 0;
  private insideAction = false;
  private readonly tokens: Token[] = [];
  private done = false;

  private readonly newlines: number[] = [];

  constructor(private readonly input: string) {
    for (let index = input.indexOf("\n"); index !== -1; index = input.indexOf("\n", index + 1)) {
      this.newlines.push(index);
    }
  }

  run(): Token[] {
    while (!this.done) {
      if (this.insideAction) this.lexInsideAction();
      else this.lexText();
    }
    return this.tokens;
  }

  /** The 1-based line of `pos` (a binary search over the newline positions). */
  private lineAt(pos: number): number {
    let low = 0;
    let high = this.newlines.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.newlines[middle] ?? 0) < pos) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  }

  private emit(kind: TokenKind): undefined {
    this.tokens.push({
      kind,
      pos: this.start,
      value: this.input.slice(this.start, this.pos),
      line: this.lineAt(this.start),
    });
    this.start = this.pos;
  }

  private error(message: string): undefined {
    this.tokens.push({ kind: "error", pos: this.start, value: message, line: this.lineAt(this.start) });
    this.done = true;
  }

  private lexText(): undefined {
    const delim = this.input.indexOf(LEFT_DELIM, this.pos);
    if (delim === -1) {
      this.pos = this.input.length;
      if (this.pos > this.start) this.emit("text");
      this.tokens.push({ kind: "eof", pos: this.pos, value: "", line: this.lineAt(this.pos) });
      this.done = true;
      return;
    }
    if (delim > this.pos) {
      let end = delim;
      if (hasLeftTrimMarker(this.input, delim + LEFT_DELIM.length))
        end = trimRightSpace(this.input, this.start, delim);
      this.pos = end;
      if (end > this.start) this.emit("text");
      this.pos = delim;
      this.start = delim;
    }
    this.lexLeftDelim();
  }

  private lexLeftDelim(): undefined {
    this.pos += LEFT_DELIM.length;
    const trim = hasLeftTrimMarker(this.input, this.pos);
    const afterMarker = trim ? 2 : 0;
    if (this.input.startsWith(LEFT_COMMENT, this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.start = this.pos;
      this.lexComment();
      return;
    }
    this.emit("leftDelim");
    this.insideAction = true;
    this.pos += afterMarker;
    this.start = this.pos;
    this.parenDepth = 0;
  }

  private lexComment(): undefined {
    this.pos += LEFT_COMMENT.length;
    const end = this.input.indexOf(RIGHT_COMMENT, this.pos);
    if (end === -1) return this.error("unclosed comment");
    this.pos = end + RIGHT_COMMENT.length;
    const { delim, trim } = this.atRightDelim();
    if (!delim) return this.error("comment ends before closing delimiter");
    this.pos += (trim ? 2 : 0) + RIGHT_DELIM.length;
    if (trim) this.pos = trimLeftSpace(this.input, this.pos);
    this.start = this.pos;
  }

  private atRightDelim(): { delim: boolean; trim: boolean } {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT_DELIM, this.pos + 2)) {
      return { delim: true, trim: true };
    }
    return { delim: this.input.startsWith(RIGHT_DELIM, this.pos), trim: false };
  }

  private lexRightDelim(): undefined {
    const { trim } = this.atRightDelim();
    if (trim) {
      this.pos += 2;
      this.start = this.pos;
    }
    this.pos += RIGHT_DELIM.length;
    this.emit("rightDelim");
    if (trim) {
      this.pos = trimLeftSpace(this.input, this.pos);
      this.start = this.pos;
    }
    this.insideAction = false;
  }

  private next(): string | undefined {
    if (this.pos >= this.input.length) return undefined;
    const char = String.fromCodePoint(this.input.codePointAt(this.pos) ?? 0);
    this.pos += char.length;
    return char;
  }

  private peek(): string | undefined {
    if (this.pos >= this.input.length) return undefined;
    return String.fromCodePoint(this.input.codePointAt(this.pos) ?? 0);
  }

  private lexInsideAction(): undefined {
    if (this.atRightDelim().delim) {
      if (this.parenDepth === 0) return this.lexRightDelim();
      return this.error("unclosed left paren");
    }
    const char = this.next();
    if (char === undefined) return this.error("unclosed action");
    if (SPACE_CHARS.includes(char)) {
      this.pos -= 1;
      return this.lexSpace();
    }
    switch (char) {
      case "=":
        return this.emit("assign");
      case ":":
        if (this.next() !== "=") return this.error("expected :=");
        return this.emit("declare");
      case "|":
        return this.emit("pipe");
      case '"':
        return this.lexQuote();
      case "`":
        return this.lexRawQuote();
      case "$":
        return this.lexVariable();
      case "'":
        return this.lexChar();
      case "(":
        this.parenDepth++;
        return this.emit("leftParen");
      case ")":
        this.parenDepth--;
        if (this.parenDepth < 0) return this.error("unexpected right paren");
        return this.emit("rightParen");
    }
    if (char === ".") {
      const following = this.input.charCodeAt(this.pos);
      if (this.pos < this.input.length && !(following >= 48 && following <= 57))
        return this.lexFieldOrVariable("field");
    }
    if (char === "." || char === "+" || char === "-" || (char >= "0" && char <= "9")) {
      this.pos -= 1;
      return this.lexNumber();
    }
    if (isAlphaNumeric(char)) {
      this.pos -= char.length;
      return this.lexIdentifier();
    }
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x7f && code >= 0x20 && code !== 0x7f) return this.emit("char");
    return this.error(`unrecognized character in action: ${formatRune(code)}`);
  }

  private lexSpace(): undefined {
    let count = 0;
    while (this.pos < this.input.length && SPACE_CHARS.includes(this.input[this.pos] ?? "")) {
      this.pos++;
      count++;
    }
    // A trim-marked right delimiter starts with a space: leave that space to it.
    if (hasRightTrimMarker(this.input, this.pos - 1) && this.input.startsWith(RIGHT_DELIM, this.pos + 1)) {
      this.pos -= 1;
      if (count === 1) return this.lexRightDelim();
    }
    this.emit("space");
  }

  private lexIdentifier(): undefined {
    for (;;) {
      const char = this.peek();
      if (char !== undefined && isAlphaNumeric(char)) {
        this.pos += char.length;
        continue;
      }
      const word = this.input.slice(this.start, this.pos);
      if (!this.atTerminator()) return this.error(`bad character ${formatRune(char?.codePointAt(0) ?? -1)}`);
      const keyword = KEYWORDS.get(word);
      if (keyword !== undefined) return this.emit(keyword);
      if (word.startsWith(".")) return this.emit("field");
      if (word === "true" || word === "false") return this.emit("bool");
      return this.emit("identifier");
    }
  }

  private lexVariable(): undefined {
    if (this.atTerminator()) return this.emit("variable");
    this.lexFieldOrVariable("variable");
  }

  private lexFieldOrVariable(kind: "field" | "variable"): undefined {
    if (this.atTerminator()) return this.emit(kind === "variable" ? "variable" : "dot");
    let char: string | undefined;
    for (;;) {
      char = this.peek();
      if (char === undefined || !isAlphaNumeric(char)) break;
      this.pos += char.length;
    }
    if (!this.atTerminator()) return this.error(`bad character ${formatRune(char?.codePointAt(0) ?? -1)}`);
    this.emit(kind);
  }

  private atTerminator(): boolean {
    const char = this.peek();
    if (char === undefined) return true;
    if (SPACE_CHARS.includes(char)) return true;
    if (".,|:)(".includes(char)) return true;
    return this.input.startsWith(RIGHT_DELIM, this.pos);
  }

  private lexChar(): undefined {
    for (;;) {
      const char = this.next();
      if (char === "\\") {
        const escaped = this.next();
        if (escaped !== undefined && escaped !== "\n") continue;
      }
      if (char === "\\" || char === undefined || char === "\n")
        return this.error("unterminated character constant");
      if (char === "'") break;
    }
    this.emit("charConstant");
  }

  private lexQuote(): undefined {
    for (;;) {
      const char = this.next();
      if (char === "\\") {
        const escaped = this.next();
        if (escaped !== undefined && escaped !== "\n") continue;
      }
      if (char === "\\" || char === undefined || char === "\n")
        return this.error("unterminated quoted string");
      if (char === '"') break;
    }
    this.emit("string");
  }

  private lexRawQuote(): undefined {
    const end = this.input.indexOf("`", this.pos);
    if (end === -1) {
      this.pos = this.input.length;
      return this.error("unterminated raw quoted string");
    }
    this.pos = end + 1;
    this.emit("rawString");
  }

  private lexNumber(): undefined {
    if (!this.scanNumber())
      return this.error(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
    const sign = this.peek();
    if (sign === "+" || sign === "-") {
      if (!this.scanNumber() || this.input[this.pos - 1] !== "i") {
        return this.error(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
      }
      return this.emit("complex");
    }
    this.emit("number");
  }

  private accept(valid: string): boolean {
    const char = this.peek();
    if (char !== undefined && valid.includes(char)) {
      this.pos += char.length;
      return true;
    }
    return false;
  }

  private acceptRun(valid: string): void {
    while (this.accept(valid)) {
      // absorb
    }
  }

  private scanNumber(): boolean {
    this.accept("+-");
    let digits = "0123456789_";
    if (this.accept("0")) {
      if (this.accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (this.accept("oO")) digits = "01234567_";
      else if (this.accept("bB")) digits = "01_";
    }
    this.acceptRun(digits);
    if (this.accept(".")) this.acceptRun(digits);
    if (digits.length === 11 && this.accept("eE")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    if (digits.length === 23 && this.accept("pP")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    this.accept("i");
    const char = this.peek();
    if (char !== undefined && isAlphaNumeric(char)) {
      this.pos += char.length;
      return false;
    }
    return true;
  }
}

function isAlphaNumeric(char: string): boolean {
  return ALPHANUMERIC.test(char);
}

function hasLeftTrimMarker(input: string, pos: number): boolean {
  return input[pos] === "-" && SPACE_CHARS.includes(input[pos + 1] ?? "x");
}

function hasRightTrimMarker(input: string, pos: number): boolean {
  return SPACE_CHARS.includes(input[pos] ?? "x") && input[pos + 1] === "-";
}

function trimRightSpace(input: string, start: number, end: number): number {
  let index = end;
  while (index > start && SPACE_CHARS.includes(input[index - 1] ?? "x")) index--;
  return index;
}

function trimLeftSpace(input: string, pos: number): number {
  let index = pos;
  while (index < input.length && SPACE_CHARS.includes(input[index] ?? "x")) index++;
  return index;
}

/** Go's `%#U`: `U+0007`, or `U+00E9 'é'` when printable. */
export function formatRune(code: number): string {
  if (code < 0) return "U+FFFFFFFFFFFFFFFF";
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const char = String.fromCodePoint(code);
  return isGoPrint(char) ? `${hex} '${char}'` : hex;
}

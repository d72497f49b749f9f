/**
 * Go's `encoding/json` as the bundle parser meets it: the scanner's syntax errors (`invalid character 'o' in
 * literal null (expecting 'u')`, `unexpected end of JSON input`, ...), reported for the first offending byte
 * as Go reports them, and case-insensitive struct field matching.
 */

/** Go's syntax error for `text`, or undefined when it is valid JSON. */
export function goJsonSyntaxError(text: string): string | undefined {
  const scanner = new Scanner(new TextEncoder().encode(text));
  try {
    scanner.skipSpace();
    scanner.value(0);
    scanner.skipSpace();
    if (!scanner.atEnd()) scanner.fail("after top-level value");
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxFailure) return error.message;
    throw error;
  }
}

class SyntaxFailure extends Error {}

const MAX_DEPTH = 10_000;

class Scanner {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  private peek(): number {
    if (this.atEnd()) throw new SyntaxFailure("unexpected end of JSON input");
    return this.bytes[this.pos] ?? 0;
  }

  /**
   * The next byte inside a token that a space cannot continue. At the end of the input Go's scanner feeds
   * it a space, so the error names ' ' (`invalid character ' ' in literal null (expecting 'l')`).
   */
  private peekIn(context: string): number {
    if (this.atEnd()) throw new SyntaxFailure(`invalid character ' ' ${context}`);
    return this.bytes[this.pos] ?? 0;
  }

  fail(context: string): never {
    throw new SyntaxFailure(`invalid character ${quoteByte(this.bytes[this.pos] ?? 0)} ${context}`);
  }

  skipSpace(): void {
    while (!this.atEnd() && [0x20, 0x09, 0x0a, 0x0d].includes(this.bytes[this.pos] ?? 0)) this.pos++;
  }

  value(depth: number): void {
    const byte = this.peek();
    if (byte === 0x7b || byte === 0x5b) {
      if (depth >= MAX_DEPTH) this.fail("exceeded max depth");
      this.pos++;
      if (byte === 0x7b) this.object(depth + 1);
      else this.array(depth + 1);
    } else if (byte === 0x22) this.string();
    else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) this.number();
    else if (byte === 0x74) this.literal("true");
    else if (byte === 0x66) this.literal("false");
    else if (byte === 0x6e) this.literal("null");
    else this.fail("looking for beginning of value");
  }

  private object(depth: number): void {
    this.skipSpace();
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.peek() !== 0x22) this.fail("looking for beginning of object key string");
      this.string();
      this.skipSpace();
      if (this.peek() !== 0x3a) this.fail("after object key");
      this.pos++;
      this.skipSpace();
      this.value(depth);
      this.skipSpace();
      const next = this.peek();
      this.pos++;
      if (next === 0x7d) return;
      if (next !== 0x2c) {
        this.pos--;
        this.fail("after object key:value pair");
      }
      this.skipSpace();
    }
  }

  private array(depth: number): void {
    this.skipSpace();
    if (this.peek() === 0x5d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.value(depth);
      this.skipSpace();
      const next = this.peek();
      this.pos++;
      if (next === 0x5d) return;
      if (next !== 0x2c) {
        this.pos--;
        this.fail("after array element");
      }
      this.skipSpace();
    }
  }

  private string(): void {
    this.pos++;
    for (;;) {
      const byte = this.peek();
      if (byte === 0x22) {
        this.pos++;
        return;
      }
      if (byte === 0x5c) {
        this.pos++;
        const escaped = this.peekIn("in string escape code");
        if (escaped === 0x75) {
          this.pos++;
          for (let digit = 0; digit < 4; digit++) {
            if (!isHex(this.peekIn("in \\u hexadecimal character escape")))
              this.fail("in \\u hexadecimal character escape");
            this.pos++;
          }
          continue;
        }
        if (!'"\\/bfnrt'.includes(String.fromCharCode(escaped))) this.fail("in string escape code");
        this.pos++;
        continue;
      }
      if (byte < 0x20) this.fail("in string literal");
      this.pos++;
    }
  }

  private number(): void {
    if (this.peek() === 0x2d) {
      this.pos++;
      if (!isDigit(this.peekIn("in numeric literal"))) this.fail("in numeric literal");
    }
    if (this.peek() === 0x30) this.pos++;
    else while (!this.atEnd() && isDigit(this.bytes[this.pos] ?? 0)) this.pos++;
    if (!this.atEnd() && this.bytes[this.pos] === 0x2e) {
      this.pos++;
      if (!isDigit(this.peekIn("after decimal point in numeric literal")))
        this.fail("after decimal point in numeric literal");
      while (!this.atEnd() && isDigit(this.bytes[this.pos] ?? 0)) this.pos++;
    }
    if (!this.atEnd() && (this.bytes[this.pos] === 0x65 || this.bytes[this.pos] === 0x45)) {
      this.pos++;
      const sign = this.peekIn("in exponent of numeric literal");
      if (sign === 0x2b || sign === 0x2d) this.pos++;
      if (!isDigit(this.peekIn("in exponent of numeric literal")))
        this.fail("in exponent of numeric literal");
      while (!this.atEnd() && isDigit(this.bytes[this.pos] ?? 0)) this.pos++;
    }
  }

  private literal(word: string): void {
    this.pos++;
    for (const expected of word.slice(1)) {
      const context = `in literal ${word} (expecting '${expected}')`;
      if (this.peekIn(context) !== expected.charCodeAt(0)) this.fail(context);
      this.pos++;
    }
  }
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function isHex(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46);
}

/** Go's `quoteChar`: a byte in single quotes, escaped as strconv.Quote escapes it. */
function quoteByte(byte: number): string {
  if (byte === 0x27) return "'\\''";
  if (byte === 0x22) return "'\"'";
  if (byte >= 0x80) return `'\\x${byte.toString(16).padStart(2, "0")}'`;
  const short: Readonly<Record<number, string>> = {
    7: "\\a",
    8: "\\b",
    9: "\\t",
    10: "\\n",
    11: "\\v",
    12: "\\f",
    13: "\\r",
    92: "\\\\",
  };
  const escaped = short[byte];
  if (escaped !== undefined) return `'${escaped}'`;
  if (byte < 0x20 || byte === 0x7f) return `'\\x${byte.toString(16).padStart(2, "0")}'`;
  return `'${String.fromCharCode(byte)}'`;
}

/**
 * The value Go's decoder assigns to struct field `name` from a JSON object: keys match case-insensitively,
 * and the last matching key wins.
 */
export function goJsonField(object: Readonly<Record<string, unknown>>, name: string): unknown {
  let value: unknown;
  for (const [key, candidate] of Object.entries(object)) {
    if (key.toLowerCase() === name.toLowerCase()) value = candidate;
  }
  return value;
}

/** The kind of a JSON value as Go's decode errors name it. */
export function goJsonKind(value: unknown): string {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  return Array.isArray(value) ? "array" : "object";
}

/**
 * The raw text of each member of a top-level JSON object, in order (`text` must be valid JSON): Go decodes
 * numbers from their literal, so `1e3` is not an integer and `18446744073709551615` keeps its precision.
 */
export function goJsonMembers(text: string): [string, string][] {
  const members: [string, string][] = [];
  let index = text.indexOf("{") + 1;
  const skipSpace = (): void => {
    while (index < text.length && " \t\r\n".includes(text[index] ?? "")) index++;
  };
  const skipString = (): void => {
    index++;
    while (index < text.length && text[index] !== '"') index += text[index] === "\\" ? 2 : 1;
    index++;
  };
  const skipValue = (): void => {
    let depth = 0;
    do {
      const char = text[index] ?? "";
      if (char === '"') {
        skipString();
        continue;
      }
      if (char === "{" || char === "[") depth++;
      else if (char === "}" || char === "]") depth--;
      index++;
    } while (index < text.length && (depth > 0 || !",}] \t\r\n".includes(text[index] ?? "")));
  };
  for (;;) {
    skipSpace();
    if (text[index] !== '"') return members;
    const keyStart = index;
    skipString();
    const key = JSON.parse(text.slice(keyStart, index)) as string;
    skipSpace();
    index++;
    skipSpace();
    const valueStart = index;
    skipValue();
    members.push([key, text.slice(valueStart, index)]);
    skipSpace();
    if (text[index] === ",") index++;
  }
}

/**
 * Go (RE2) regular expressions, as SCM compiles `ignoreNamespaces`, translated into JavaScript regexes that
 * match the same strings. Go's syntax errors come back with Go's messages (`error parsing regexp: missing
 * closing ): `kube-(system``), and so do the Perl features RE2 refuses (lookarounds, backreferences).
 * Translated so the semantics stay Go's: `.` excludes only `\n`, `\s` is `[\t\n\f\r ]`, `\A` and `\z`
 * anchor the text, a `{` that starts no repetition is a literal, `\Q...\E` quotes, POSIX classes, and the
 * flag groups `(?i)`, `(?m)`, `(?s)`, `(?U)` (scoped or not). Case folding under `(?i)` covers ASCII letters
 * only (namespace names are ASCII).
 */
import { fail, ok, type Result } from "../spiffe/result.js";

const MAX_REPEAT = 1000;
const MAX_CODE_POINT = 0x10ffff;

type Range = readonly [number, number];

const PERL_CLASSES: Readonly<Record<string, readonly Range[]>> = {
  d: [[0x30, 0x39]],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
};
const POSIX_CLASSES: Readonly<Record<string, readonly Range[]>> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: PERL_CLASSES.w ?? [],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly U: boolean;
}

/** Compiles an RE2 pattern into a JavaScript regex matching the same strings (unanchored, as Go's MatchString). */
export function compileRe2(pattern: string): Result<RegExp> {
  const translated = new Translator(pattern).translate();
  if (!translated.ok) return translated;
  return ok(new RegExp(translated.value, "u"));
}

class Failure extends Error {}

class Translator {
  private pos = 0;
  private out = "";
  private flags: Flags = { i: false, m: false, s: false, U: false };
  /** The flags to restore at each open group's `)`. */
  private readonly groups: Flags[] = [];
  /** Whether the last item can take a repetition operator, and whether it already has one. */
  private atom: "none" | "atom" | "repeated" = "none";

  constructor(private readonly text: string) {}

  private error(code: string, expression: string): never {
    throw new Failure(`error parsing regexp: ${code}: \`${expression}\``);
  }

  translate(): Result<string> {
    try {
      while (this.pos < this.text.length) this.step();
      if (this.groups.length > 0) this.error("missing closing )", this.text);
      return ok(this.out);
    } catch (error) {
      if (error instanceof Failure) return fail(error.message);
      throw error;
    }
  }

  private emitAtom(text: string): undefined {
    this.out += text;
    this.atom = "atom";
  }

  private emitAssertion(text: string): undefined {
    this.out += text;
    this.atom = "none";
  }

  private step(): undefined {
    const char = String.fromCodePoint(this.text.codePointAt(this.pos) ?? 0);
    switch (char) {
      case "(":
        return this.group();
      case ")":
        if (this.groups.length === 0) this.error("unexpected )", this.text);
        this.flags = this.groups.pop() ?? this.flags;
        this.pos++;
        return this.emitAtom(")");
      case "|":
        this.pos++;
        return this.emitAssertion("|");
      case "^":
        this.pos++;
        return this.emitAssertion(this.flags.m ? "(?<=^|\\n)" : "^");
      case "$":
        this.pos++;
        return this.emitAssertion(this.flags.m ? "(?=$|\\n)" : "$");
      case "*":
      case "+":
      case "?":
        return this.repeat(char);
      case "{":
        return this.brace();
      case "[":
        return this.characterClass();
      case ".":
        this.pos++;
        return this.emitAtom(this.flags.s ? "[\\s\\S]" : "[^\\n]");
      case "\\":
        return this.escape();
      default:
        this.pos += char.length;
        return this.emitAtom(this.literal(char.codePointAt(0) ?? 0));
    }
  }

  private literal(code: number): string {
    const ranges = this.fold([[code, code]]);
    return ranges.length === 1 && ranges[0]?.[0] === ranges[0]?.[1]
      ? escapeCode(code)
      : classText(ranges, [], false);
  }

  private group(): undefined {
    const rest = this.text.slice(this.pos);
    if (!rest.startsWith("(?")) {
      this.groups.push(this.flags);
      this.pos++;
      this.out += "(";
      this.atom = "none";
      return;
    }
    const named = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (named !== null) {
      this.groups.push(this.flags);
      this.pos += named[0].length;
      this.out += `(?<${named[1]}>`;
      this.atom = "none";
      return;
    }
    if (/^\(\?P?</.test(rest)) {
      const close = rest.indexOf(">");
      this.error("invalid named capture", close === -1 ? rest : rest.slice(0, close + 1));
    }
    const flagGroup = /^\(\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
    if (flagGroup === null || (flagGroup[1] === "" && flagGroup[2] === undefined && flagGroup[3] === ")")) {
      this.error("invalid or unsupported Perl syntax", rest.slice(0, 3));
    }
    const flags = { ...this.flags } as { i: boolean; m: boolean; s: boolean; U: boolean };
    for (const flag of flagGroup[1] ?? "") flags[flag as keyof Flags] = true;
    for (const flag of flagGroup[2] ?? "") flags[flag as keyof Flags] = false;
    this.pos += flagGroup[0].length;
    if (flagGroup[3] === ":") {
      this.groups.push(this.flags);
      this.out += "(?:";
      this.atom = "none";
    }
    this.flags = flags;
  }

  private repeat(operator: string): undefined {
    if (this.atom === "none") this.error("missing argument to repetition operator", operator);
    if (this.atom === "repeated")
      this.error("invalid nested repetition operator", `${this.lastRepeat}${operator}`);
    this.pos += operator.length;
    let lazy = this.flags.U;
    if (this.text[this.pos] === "?") {
      lazy = !lazy;
      this.pos++;
    }
    this.out += operator + (lazy ? "?" : "");
    this.lastRepeat = operator;
    this.atom = "repeated";
  }

  private lastRepeat = "";

  private brace(): undefined {
    const repetition = /^\{(\d+)(,(\d*))?\}/.exec(this.text.slice(this.pos));
    if (repetition === null) {
      this.pos++;
      return this.emitAtom("\\{");
    }
    const min = Number(repetition[1]);
    const max = repetition[3] === undefined || repetition[3] === "" ? undefined : Number(repetition[3]);
    if (min > MAX_REPEAT || (max !== undefined && (max > MAX_REPEAT || max < min))) {
      this.error("invalid repeat count", repetition[0]);
    }
    this.repeat(repetition[0]);
  }

  private escape(): undefined {
    const letter = this.text[this.pos + 1];
    if (letter === undefined) this.error("trailing backslash at end of expression", "");
    switch (letter) {
      case "b":
      case "B":
        this.pos += 2;
        return this.emitAssertion(`\\${letter}`);
      case "A":
        this.pos += 2;
        return this.emitAssertion("^");
      case "z":
        this.pos += 2;
        return this.emitAssertion("$");
      case "Q": {
        const end = this.text.indexOf("\\E", this.pos + 2);
        const quoted = this.text.slice(this.pos + 2, end === -1 ? undefined : end);
        this.pos = end === -1 ? this.text.length : end + 2;
        for (const char of quoted) this.emitAtom(this.literal(char.codePointAt(0) ?? 0));
        return;
      }
    }
    const item = this.classItem();
    if (item.kind === "code") return this.emitAtom(this.literal(item.code));
    this.emitAtom(classText(this.fold(item.ranges), item.properties, false));
  }

  private characterClass(): undefined {
    const start = this.pos;
    this.pos++;
    let negated = false;
    if (this.text[this.pos] === "^") {
      negated = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    const properties: string[] = [];
    let first = true;
    for (;;) {
      if (this.pos >= this.text.length) this.error("missing closing ]", this.text.slice(start));
      if (this.text[this.pos] === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]*):\]/.exec(this.text.slice(this.pos));
      if (posix !== null) {
        const set = POSIX_CLASSES[posix[2] ?? ""];
        if (set === undefined) this.error("invalid character class range", posix[0]);
        ranges.push(...(posix[1] === "^" ? complement(set) : set));
        this.pos += posix[0].length;
        continue;
      }
      const itemStart = this.pos;
      const low = this.classItem();
      if (
        low.kind === "code" &&
        this.text[this.pos] === "-" &&
        this.pos + 1 < this.text.length &&
        this.text[this.pos + 1] !== "]"
      ) {
        this.pos++;
        const high = this.classItem();
        if (high.kind !== "code" || high.code < low.code) {
          this.error("invalid character class range", this.text.slice(itemStart, this.pos));
        }
        ranges.push([low.code, high.code]);
      } else if (low.kind === "code") ranges.push([low.code, low.code]);
      else {
        ranges.push(...low.ranges);
        properties.push(...low.properties);
      }
    }
    this.emitAtom(classText(this.fold(ranges), properties, negated));
  }

  /** One character or escape (outside or inside a class): a code point, or a set such as `\d`. */
  private classItem():
    | { kind: "code"; code: number }
    | { kind: "set"; ranges: readonly Range[]; properties: readonly string[] } {
    if (this.text[this.pos] !== "\\") {
      const code = this.text.codePointAt(this.pos) ?? 0;
      this.pos += String.fromCodePoint(code).length;
      return { kind: "code", code };
    }
    const rest = this.text.slice(this.pos);
    const letter = rest[1] ?? "";
    if (letter === "") this.error("trailing backslash at end of expression", "");
    const simple: Readonly<Record<string, number>> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    if (simple[letter] !== undefined) {
      this.pos += 2;
      return { kind: "code", code: simple[letter] ?? 0 };
    }
    const perl = PERL_CLASSES[letter.toLowerCase()];
    if (perl !== undefined) {
      this.pos += 2;
      return {
        kind: "set",
        ranges: letter === letter.toLowerCase() ? perl : complement(perl),
        properties: [],
      };
    }
    const hex = /^\\x(?:\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2}))/.exec(rest);
    if (hex !== null) {
      const code = Number.parseInt(hex[1] ?? hex[2] ?? "0", 16);
      if (code > MAX_CODE_POINT) this.error("invalid escape sequence", hex[0]);
      this.pos += hex[0].length;
      return { kind: "code", code };
    }
    const octal = /^\\(0[0-7]{0,2}|[1-7][0-7]{2})/.exec(rest);
    if (octal !== null && ((octal[1] ?? "").startsWith("0") || (octal[1] ?? "").length === 3)) {
      this.pos += octal[0].length;
      return { kind: "code", code: Number.parseInt(octal[1] ?? "0", 8) };
    }
    const property = /^\\([pP])(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/.exec(rest);
    if (property !== null) {
      this.pos += property[0].length;
      const name = property[3] ?? property[4] ?? "";
      const negated = (property[1] === "P") !== (property[2] === "^");
      return { kind: "set", ranges: [], properties: [propertyEscape(name, negated)] };
    }
    if (/^[!-/:-@[-`{-~]$/.test(letter)) {
      this.pos += 2;
      return { kind: "code", code: letter.charCodeAt(0) };
    }
    return this.error("invalid escape sequence", `\\${letter}`);
  }

  /** Under `(?i)`, adds the other case of ASCII letters. */
  private fold(ranges: readonly Range[]): Range[] {
    if (!this.flags.i) return [...ranges];
    const folded: Range[] = [...ranges];
    for (const [low, high] of ranges) {
      for (const [from, to, delta] of [
        [0x61, 0x7a, -0x20],
        [0x41, 0x5a, 0x20],
      ] as const) {
        const start = Math.max(low, from);
        const end = Math.min(high, to);
        if (start <= end) folded.push([start + delta, end + delta]);
      }
    }
    return normalise(folded);
  }
}

/** A Unicode property escape in JavaScript's spelling (`Script=Name` for scripts, `Any` as everything). */
function propertyEscape(name: string, negated: boolean): string {
  if (name === "Any") return negated ? "" : "\\s\\S";
  const jsName = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
  return `\\${negated ? "P" : "p"}{${jsName}}`;
}

function normalise(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [low, high] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else merged.push([low, high]);
  }
  return merged;
}

function complement(ranges: readonly Range[]): Range[] {
  const result: Range[] = [];
  let next = 0;
  for (const [low, high] of normalise(ranges)) {
    if (low > next) result.push([next, low - 1]);
    next = high + 1;
  }
  if (next <= MAX_CODE_POINT) result.push([next, MAX_CODE_POINT]);
  return result;
}

function classText(ranges: readonly Range[], properties: readonly string[], negated: boolean): string {
  const body =
    ranges
      .map(([low, high]) => (low === high ? escapeCode(low) : `${escapeCode(low)}-${escapeCode(high)}`))
      .join("") + properties.join("");
  if (body === "") return negated ? "[\\s\\S]" : "[^\\s\\S]";
  return `[${negated ? "^" : ""}${body}]`;
}

function escapeCode(code: number): string {
  const char = String.fromCodePoint(code);
  if (/^[A-Za-z0-9_]$/.test(char)) return char;
  return `\\u{${code.toString(16)}}`;
}

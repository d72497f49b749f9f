/**
 * The HCL parser of the configuration file: the syntax HCL v1 (hashicorp/hcl, which the Go
 * registrar used) accepted, plus the HCL2 native syntax the registrar accepted before this parser
 * (`null`, `key: value` inside `{ }` objects), into the values lib/config decodes (hcl2json's
 * shape, see hcl-object.ts) and the top-level keys with their lines.
 *
 * Grammar (line breaks carry no meaning, as in HCL v1):
 *   body  = { item [","] }
 *   item  = key "=" value                    an attribute
 *         | key { label } "{" body "}"       a block; key and labels are words or strings
 *   value = string | heredoc | number | true | false | null
 *         | "[" [ value { "," value } [","] ] "]"
 *         | "{" body "}"                     an object; ":" may stand for "="
 *
 * A value has to start on the line of its "=" or later; anything else is missing (`x =` at the end
 * of a line followed by another key). Words that are not literals (`var.x`, `1 + 2`) are not
 * values: HCL v1 refused them; HCL2 would have evaluated them, and there is nothing to evaluate.
 *
 * A key repeated at the top level is kept (the last value wins) and reported by parse-config with
 * every line; repeated inside a block or object it is an error here. Pure, never throws: input size
 * and nesting depth are bounded (source-limits.ts) before the parser recurses.
 */

import { tokenize } from "./hcl-lexer.js";
import { addBlock, blockValue, type HclObject, setOwn } from "./hcl-object.js";
import { quoteText } from "./hcl-quote.js";
import type { Token } from "./hcl-token.js";
import type { KeyPosition } from "./key-position.js";
import type { Result } from "./result.js";
import { sizeError } from "./source-limits.js";

/** The values of a config text and where each top-level key is written (repeats included). */
export interface ParsedHcl {
  readonly values: Readonly<Record<string, unknown>>;
  readonly keys: readonly KeyPosition[];
}

/** Parse HCL `text`; the error is one line, `line N: <reason>`. */
export function parseHcl(text: string): Result<ParsedHcl, string> {
  const tooLarge = sizeError(text);
  if (tooLarge !== undefined) return { ok: false, error: tooLarge };
  return parseTokens(tokenize(text), text);
}

/** Where a key of one body was first written, to report a repeat. */
type BodyKeys = Map<string, { readonly line: number; readonly attribute: boolean }>;

function parseTokens(tokens: readonly Token[], text: string): Result<ParsedHcl, string> {
  let index = 0;
  let failure: string | undefined;
  /** The top-level key whose value is being read, named in a failure inside it. */
  let currentKey: string | undefined;
  const keys: KeyPosition[] = [];

  const peek = (): Token => tokens[index] as Token;
  /** The next token; the final `end` or `error` token is never passed. */
  const take = (): Token => {
    const token = tokens[index] as Token;
    if (token.kind !== "end" && token.kind !== "error") index += 1;
    return token;
  };
  const isPunct = (token: Token, punct: string) => token.kind === "punct" && token.text === punct;
  /** Records the first failure; returns undefined so callers can `return fail(...)`. */
  const fail = (line: number, reason: string): undefined => {
    const key = currentKey === undefined ? undefined : quoteText(currentKey);
    const where = key === undefined || reason.includes(key) ? "" : ` (in ${key})`;
    failure ??= `line ${line}: ${reason}${where}`;
    return undefined;
  };
  const unexpected = (token: Token): undefined =>
    token.kind === "error"
      ? fail(token.line, token.reason)
      : fail(token.line, `unexpected ${describe(token)}`);
  const notAValue = (word: string, line: number): undefined =>
    fail(line, `${quoteText(word)} is not a value (a string is written in quotes: "${word}")`);

  /** The items of a body up to its closing `}` (`opener` given) or the end of the text. */
  function body(opener: Token | undefined, isObject: boolean): HclObject | undefined {
    const object: HclObject = {};
    const seen: BodyKeys = new Map();
    for (;;) {
      const token = peek();
      if (token.kind === "end") return opener ? fail(opener.line, '"{" is never closed') : object;
      if (opener && isPunct(token, "}")) {
        take();
        return object;
      }
      if (token.kind !== "word" && token.kind !== "string") return unexpected(token);
      const topLevel = opener === undefined;
      if (!item(object, seen, topLevel, isObject)) return undefined;
      if (topLevel) currentKey = undefined;
      if (isPunct(peek(), ",")) take();
    }
  }

  /** One attribute or block, added to `object`. False on failure. */
  function item(object: HclObject, seen: BodyKeys, topLevel: boolean, isObject: boolean): boolean {
    const first = peek();
    const path: string[] = [];
    for (let token = peek(); token.kind === "word" || token.kind === "string"; token = peek()) {
      path.push(token.kind === "word" ? token.text : token.value);
      take();
    }
    const name = path[0] as string;
    const after = peek();
    const isAssign = isPunct(after, "=") || (isObject && isPunct(after, ":"));
    if (topLevel && (isAssign || isPunct(after, "{"))) currentKey = name;
    if (path.length === 1 && isAssign) {
      take();
      const value = valueAfter(name, after);
      if (value === undefined) return false;
      if (topLevel) {
        keys.push({ name, line: first.line });
        seen.set(name, { line: first.line, attribute: true });
      } else if (!firstUse(seen, name, first.line, true)) return false;
      setOwn(object, name, value);
      return true;
    }
    if (isPunct(after, "{")) {
      take();
      const content = body(after, false);
      if (content === undefined) return false;
      if (topLevel) {
        keys.push({ name, line: first.line });
        // A repeat parse-config reports anyway: the last one wins, whatever its shape.
        if (seen.get(name)?.attribute || !addBlock(object, path, content)) {
          setOwn(object, name, blockValue(path.slice(1), content));
        }
        seen.set(name, { line: first.line, attribute: false });
        return true;
      }
      if (!firstUse(seen, name, first.line, false)) return false;
      if (!addBlock(object, path, content)) return repeated(name, first.line, seen) ?? false;
      return true;
    }
    if (after.kind === "error") return fail(after.line, after.reason) ?? false;
    const got = quoteText(restOfLine(text, first.start));
    return fail(first.line, `expected "key = value" or a block, got ${got}`) ?? false;
  }

  /**
   * Whether `name` may be written here: a second attribute, or an attribute and a block, repeat a
   * key; blocks of one name may repeat. Records the first use.
   */
  function firstUse(seen: BodyKeys, name: string, line: number, attribute: boolean): boolean {
    const earlier = seen.get(name);
    if (earlier && (attribute || earlier.attribute)) return repeated(name, line, seen) ?? false;
    if (!earlier) seen.set(name, { line, attribute });
    return true;
  }

  function repeated(name: string, line: number, seen: BodyKeys): undefined {
    const first = seen.get(name)?.line ?? line;
    return fail(line, `key ${quoteText(name)} is repeated (first on line ${first})`);
  }

  /** The value of attribute `name` whose `=` is `assign`. */
  function valueAfter(name: string, assign: Token): unknown {
    const token = peek();
    const startsValue =
      token.kind === "string" ||
      token.kind === "heredoc" ||
      token.kind === "number" ||
      isPunct(token, "[") ||
      isPunct(token, "{") ||
      (token.kind === "word" && (token.line === assign.line || LITERALS.has(token.text)));
    if (startsValue) return value();
    if (token.kind === "error") return fail(token.line, token.reason);
    return fail(assign.line, `missing value for ${quoteText(name)}`);
  }

  function value(): unknown {
    const token = take();
    if (token.kind === "string" || token.kind === "heredoc" || token.kind === "number") return token.value;
    if (token.kind === "word") {
      return LITERALS.has(token.text) ? LITERALS.get(token.text) : notAValue(token.text, token.line);
    }
    if (isPunct(token, "[")) return list(token);
    if (isPunct(token, "{")) return body(token, true);
    return unexpected(token);
  }

  function list(opener: Token): unknown[] | undefined {
    const items: unknown[] = [];
    for (;;) {
      if (isPunct(peek(), "]")) {
        take();
        return items;
      }
      if (peek().kind === "end") return fail(opener.line, '"[" is never closed');
      const item = value();
      if (item === undefined) return undefined;
      items.push(item);
      const next = peek();
      if (isPunct(next, ",")) take();
      else if (next.kind === "end") return fail(opener.line, '"[" is never closed');
      else if (next.kind === "error") return fail(next.line, next.reason);
      else if (!isPunct(next, "]"))
        return fail(next.line, `expected "," or "]" after a list item, got ${describe(next)}`);
    }
  }

  const values = body(undefined, false);
  if (values === undefined) return { ok: false, error: failure ?? "line 1: syntax error" };
  return { ok: true, value: { values, keys } };
}

const LITERALS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ["true", true],
  ["false", false],
  ["null", null],
]);

/** A token as an error message names it. */
function describe(token: Token): string {
  switch (token.kind) {
    case "punct":
      return quoteText(token.text);
    case "word":
      return quoteText(token.text);
    case "string":
      return `the string ${quoteText(token.value)}`;
    case "number":
      return `the number ${token.value}`;
    case "heredoc":
      return "a heredoc";
    case "end":
      return "the end of the file";
    case "error":
      return token.reason;
  }
}

/** The text from `start` to the end of its line, shortened for a message. */
function restOfLine(text: string, start: number): string {
  const end = text.indexOf("\n", start);
  const rest = text.slice(start, end === -1 ? text.length : end).trimEnd();
  return rest.length > 60 ? `${rest.slice(0, 57)}...` : rest;
}

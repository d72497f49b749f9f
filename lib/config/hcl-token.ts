/**
 * The tokens of HCL text as `tokenize` produces them. Every token records the 1-based line it starts
 * on and its offset in the text, so every syntax error can name its line and quote what was found.
 * A token list always ends with exactly one `end` or `error` token.
 */

/** Punctuation that structures a file. */
export type Punct = "=" | ":" | "," | "{" | "}" | "[" | "]";

interface At {
  readonly line: number;
  /** Offset of the token's first character in the text. */
  readonly start: number;
}

export type Token =
  /** An identifier: a key, a block label, or the literals true, false and null. */
  | (At & { readonly kind: "word"; readonly text: string })
  /** A quoted string, escapes decoded. */
  | (At & { readonly kind: "string"; readonly value: string })
  /** A heredoc's text. */
  | (At & { readonly kind: "heredoc"; readonly value: string })
  | (At & { readonly kind: "number"; readonly value: number })
  | (At & { readonly kind: "punct"; readonly text: Punct })
  | (At & { readonly kind: "end" })
  /** A lexical error; it replaces the rest of the text. */
  | (At & { readonly kind: "error"; readonly reason: string });

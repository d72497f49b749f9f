/**
 * Quotes a piece of configuration text for an error message: in double quotes, as written, except
 * that quotes are escaped (`"a \"b\""`) and control characters are shown as escapes, so a message
 * is unambiguous and stays on one line. Backslashes are left as written (`"\p"`).
 */
export function quoteText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes.
  const escaped = text.replace(/["\u0000-\u001f\u007f\u2028\u2029]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return NAMED[ch] ?? `\\u${code.toString(16).padStart(4, "0")}`;
  });
  return `"${escaped}"`;
}

const NAMED: Readonly<Record<string, string>> = { '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** The escaping builtins `html`, `js` and `urlquery`, as Go's text/template and net/url define them. */
import { isGoPrint } from "../go-text.js";

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "\0": "\ufffd",
  '"': "&#34;",
  "'": "&#39;",
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
};

/** Go's `template.HTMLEscapeString`. */
export function htmlEscape(text: string): string {
  return text.replace(/[\0"'&<>]/g, (char) => HTML_ESCAPES[char] ?? char);
}

const JS_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "'": "\\'",
  '"': '\\"',
  "<": "\\u003C",
  ">": "\\u003E",
  "&": "\\u0026",
  "=": "\\u003D",
};

/** Go's `template.JSEscapeString`: quotes and HTML-special characters escaped, control and unprintable runes as `\uXXXX`. */
export function jsEscape(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const escaped = JS_ESCAPES[char];
    if (escaped !== undefined) out += escaped;
    else if (code < 0x20) out += `\\u00${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else if (code < 0x80 || isGoPrint(char)) out += char;
    else out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return out;
}

/** Go's `url.QueryEscape`: letters, digits and `-_.~` kept, space as `+`, every other byte as `%XX`. */
export function urlQueryEscape(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(char)) out += char;
    else if (char === " ") out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

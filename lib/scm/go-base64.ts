/**
 * Go's `encoding/base64` decoding, with its error (`illegal base64 data at input byte N`): the standard
 * alphabet with padding (X.509 certificates in `x5c`) and the URL alphabet without padding (JWK members).
 * Newlines are skipped, as Go skips them.
 */
import { fail, ok, type Result } from "../spiffe/result.js";

const STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Decodes `text`; `padded` selects StdEncoding (true) or RawURLEncoding (false). */
export function decodeGoBase64(text: string, padded: boolean): Result<Uint8Array> {
  const alphabet = padded ? STANDARD : URL_SAFE;
  const bytes: number[] = [];
  let index = 0;
  const corrupt = (at: number): Result<Uint8Array> => fail(`illegal base64 data at input byte ${at}`);
  while (index < text.length) {
    const quantum: number[] = [];
    let length = 4;
    for (let j = 0; j < 4; j++) {
      while (index < text.length && (text[index] === "\n" || text[index] === "\r")) index++;
      if (index === text.length) {
        if (j === 0) return ok(Uint8Array.from(bytes));
        if (j === 1 || padded) return corrupt(index - j);
        length = j;
        break;
      }
      const char = text[index] ?? "";
      index++;
      const value = alphabet.indexOf(char);
      if (value !== -1) {
        quantum.push(value);
        continue;
      }
      if (char !== "=" || !padded) return corrupt(index - 1);
      // Padding: allowed only as the third and fourth characters of the last quantum.
      if (j === 0 || j === 1) return corrupt(index - 1);
      if (j === 2) {
        while (index < text.length && (text[index] === "\n" || text[index] === "\r")) index++;
        if (index === text.length) return corrupt(text.length);
        if (text[index] !== "=") return corrupt(index - 1);
        index++;
      }
      while (index < text.length && (text[index] === "\n" || text[index] === "\r")) index++;
      if (index < text.length) return corrupt(index);
      length = j;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const triple = (a << 18) | (b << 12) | (c << 6) | d;
    if (length >= 2) bytes.push((triple >> 16) & 0xff);
    if (length >= 3) bytes.push((triple >> 8) & 0xff);
    if (length >= 4) bytes.push(triple & 0xff);
    if (length < 4) break;
  }
  return ok(Uint8Array.from(bytes));
}

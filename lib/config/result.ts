/** Outcome of an operation that can fail in an expected way: a value, or the reason it failed. */
export type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

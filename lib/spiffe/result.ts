/**
 * The result of a computation that can fail in an expected way: the value, or the reason it could not be
 * produced. Pure code returns these instead of throwing; exceptions are reserved for bugs.
 */
export type Result<T, E = string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

/** A successful result. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** A failed result carrying the reason. */
export function fail<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/**
 * Looking through `error.cause` chains: connect and node:http2 wrap the error that matters
 * (ENOENT from the socket, our own verification error from the TLS handshake) one or more levels deep.
 */

const MAX_DEPTH = 6;

/** The first error in the chain (the error itself included) that `match` accepts. */
export function findInCauseChain<T extends Error>(
  error: unknown,
  match: (candidate: Error) => candidate is T,
): T | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < MAX_DEPTH; depth++) {
    if (match(current)) return current;
    current = current.cause;
  }
  return undefined;
}

/** The first Node system or OpenSSL error code (ENOENT, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...) in the chain. */
export function systemCodeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < MAX_DEPTH; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return undefined;
}

/**
 * Errors of whole SPIRE RPCs (not of single batch items), worded so an operator knows what to fix:
 * a missing or unreadable socket, something that is not a SPIRE server, a trust domain mismatch.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { findInCauseChain } from "./cause-chain.js";

/** Why a whole RPC failed. `unavailable` and `deadline` may succeed when retried unchanged. */
export type SpireErrorKind =
  | "socket-missing"
  | "permission-denied"
  | "unavailable"
  | "deadline"
  | "resource-exhausted"
  | "not-spire"
  | "trust-domain-mismatch"
  | "rejected";

/** A failed SPIRE RPC, naming the method and the target; `code` is the gRPC status code. */
export class SpireError extends Error {
  readonly kind: SpireErrorKind;
  readonly code: Code;
  readonly method: string;

  constructor(message: string, kind: SpireErrorKind, code: Code, method: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SpireError";
    this.kind = kind;
    this.code = code;
    this.method = method;
  }

  /** Whether the same call may succeed later: the server is starting, overloaded or slow. */
  get retryable(): boolean {
    return (
      this.kind === "unavailable" ||
      this.kind === "deadline" ||
      this.kind === "resource-exhausted" ||
      this.kind === "socket-missing"
    );
  }
}

/** Where the call went, for messages. */
export interface SpireTarget {
  readonly target: string;
  readonly socketPath?: string;
}

const CONNECTION_REFUSED = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_STREAM_CANCEL",
]);

/**
 * Turns anything a connect call threw into a SpireError. Connect reports socket-level failures
 * (ENOENT, ECONNREFUSED) as `Internal` with the system error as cause, so the cause decides first.
 */
export function toSpireError(error: unknown, method: string, where: SpireTarget): SpireError {
  const connectError = ConnectError.from(error);
  const systemError = findInCauseChain(
    connectError.cause,
    (e): e is NodeJS.ErrnoException & { code: string } =>
      typeof (e as NodeJS.ErrnoException).code === "string",
  );
  const system = systemError?.code;
  const reason = connectError.rawMessage;
  if (system === "ENOENT" && where.socketPath) {
    return new SpireError(
      `SPIRE server socket ${where.socketPath} does not exist: is spire-server running and the socket mounted?`,
      "socket-missing",
      Code.Unavailable,
      method,
      { cause: error },
    );
  }
  if (system === "EACCES" || system === "EPERM") {
    return new SpireError(
      `permission denied on SPIRE server socket ${where.socketPath ?? where.target}: the registrar must run as a user or group that may open it (spire-server makes it mode 0770)`,
      "permission-denied",
      Code.PermissionDenied,
      method,
      { cause: error },
    );
  }
  if (system && CONNECTION_REFUSED.has(system)) {
    return new SpireError(
      `SPIRE server at ${where.target} is not accepting connections (${system}) during ${method}`,
      "unavailable",
      Code.Unavailable,
      method,
      {
        cause: error,
      },
    );
  }
  // A stopping server refuses the streams it will not process; gRPC maps that to Unavailable, but
  // connect reports Node's stream error as Internal.
  if (system === "ERR_HTTP2_STREAM_ERROR" && systemError?.message.includes("NGHTTP2_REFUSED_STREAM")) {
    return new SpireError(
      `SPIRE server at ${where.target} refused ${method} unprocessed (HTTP/2 REFUSED_STREAM): it is stopping or overloaded`,
      "unavailable",
      Code.Unavailable,
      method,
      { cause: error },
    );
  }
  if (
    system === "ERR_HTTP2_ERROR" ||
    system === "ERR_HTTP2_SESSION_ERROR" ||
    connectError.code === Code.Unimplemented
  ) {
    return new SpireError(
      `${where.target} does not serve the SPIRE server API (${method}: ${reason}): is it the spire-server admin socket, not the agent's Workload API socket or another service?`,
      "not-spire",
      connectError.code,
      method,
      { cause: error },
    );
  }
  const kind: SpireErrorKind =
    connectError.code === Code.Unavailable
      ? "unavailable"
      : connectError.code === Code.DeadlineExceeded
        ? "deadline"
        : connectError.code === Code.ResourceExhausted
          ? "resource-exhausted"
          : connectError.code === Code.PermissionDenied
            ? "permission-denied"
            : "rejected";
  return new SpireError(
    `SPIRE ${method} at ${where.target} failed: ${Code[connectError.code]}: ${reason}`,
    kind,
    connectError.code,
    method,
    {
      cause: error,
    },
  );
}

/** The remote server presented an identity other than `spiffe://<td>/spire/server`. */
export function trustDomainMismatchError(
  expectedId: string,
  presented: readonly string[],
  method: string,
): SpireError {
  const got = presented.length > 0 ? presented.join(", ") : "no SPIFFE ID";
  return new SpireError(
    `SPIRE server presented ${got}, expected ${expectedId}: check trust_domain and server_address`,
    "trust-domain-mismatch",
    Code.Unauthenticated,
    method,
  );
}

/**
 * What a failed SPIRE call means, worded by its gRPC code, for people outside the registrar's pod
 * (admission warnings shown by kubectl): never a socket path, address or server message.
 */
export function spireFailureSummary(error: SpireError): string {
  switch (error.code) {
    case Code.Unavailable:
      return "SPIRE server unavailable";
    case Code.DeadlineExceeded:
      return "SPIRE server did not answer in time";
    case Code.ResourceExhausted:
      return "SPIRE server overloaded (ResourceExhausted)";
    case Code.PermissionDenied:
      return "SPIRE server refused the registrar's request (PermissionDenied)";
    case Code.Unauthenticated:
      return "SPIRE server could not be authenticated (Unauthenticated)";
    default:
      return `SPIRE call failed (${Code[error.code]})`;
  }
}

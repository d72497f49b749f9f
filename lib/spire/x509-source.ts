/**
 * The registrar's own X509-SVID, followed from the SPIRE agent's Workload API. The agent pushes a
 * new response on the FetchX509SVID stream whenever the SVID or the bundle rotates, so the source
 * keeps the stream open (reopening it after failures) and always holds the newest material.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { X509SVID } from "../../proto/gen/spiffe/workload/workload_pb.js";
import { SpiffeWorkloadAPI } from "../../proto/gen/spiffe/workload/workload_pb.js";
import { LogField } from "../log/log-fields.js";
import { reasonOf } from "../log/reason.js";
import { systemCodeOf } from "./cause-chain.js";
import { splitDerCertificates, toPem } from "./der.js";
import { SpireError } from "./errors.js";
import { backoffDelayMs, type RetryPolicy } from "./retry.js";
import { createUnixSocketTransport } from "./transport.js";

/** An X509-SVID in the PEM form node:tls takes. */
export interface X509SvidMaterial {
  readonly spiffeId: string;
  /** Leaf first, then intermediates. */
  readonly certChainPem: string;
  /** PKCS#8. */
  readonly privateKeyPem: string;
  /** The CA certificates of the SVID's trust domain. */
  readonly bundlePem: string;
  readonly expiresAt: Date;
}

export type SvidResult =
  | { readonly ok: true; readonly value: X509SvidMaterial }
  | { readonly ok: false; readonly error: SpireError };

/** The newest SVID from the agent; `close()` ends the stream. */
export interface X509SvidSource {
  /** The newest SVID, or `undefined` before the agent sent one. */
  current(): X509SvidMaterial | undefined;
  /**
   * The newest SVID, waiting up to `timeoutMs` for the first one. A failure explains what the
   * agent said last (socket missing, no identity issued to this process, ...).
   */
  waitForSvid(timeoutMs: number, signal?: AbortSignal): Promise<SvidResult>;
  close(): void;
}

export interface X509SvidSourceOptions {
  /** The agent's Workload API socket (`agent_socket_path`). */
  readonly agentSocketPath: string;
  readonly logger: Logger;
  /** Backoff between stream reopenings (attempts are unlimited; default 200 ms doubling to 5 s). */
  readonly reconnect?: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

/** The Workload API refuses callers that do not send this header (a guard against SSRF). */
const WORKLOAD_HEADER = { "workload.spiffe.io": "true" };

/** Starts following FetchX509SVID at once; the first SVID usually arrives within milliseconds. */
export function startX509SvidSource(options: X509SvidSourceOptions): X509SvidSource {
  const { agentSocketPath, logger } = options;
  const backoff: RetryPolicy = {
    maxAttempts: Number.POSITIVE_INFINITY,
    baseDelayMs: options.reconnect?.baseDelayMs ?? 200,
    maxDelayMs: options.reconnect?.maxDelayMs ?? 5_000,
  };
  const random = options.random ?? Math.random;
  const transport = createUnixSocketTransport(agentSocketPath);
  const workloadApi = createClient(SpiffeWorkloadAPI, transport.transport);
  const stop = new AbortController();
  let latest: X509SvidMaterial | undefined;
  let lastFailure: unknown;
  const waiters = new Set<() => void>();

  const accept = (svid: X509SVID): void => {
    const material = toMaterial(svid);
    if (!material.ok) {
      lastFailure = new Error(`the agent sent an unusable X509-SVID: ${material.error}`);
      logger.error({ spiffeId: svid.spiffeId, err: lastFailure }, "ignoring X509-SVID from the agent");
      return;
    }
    const rotated = latest !== undefined;
    latest = material.value;
    logger.info(
      { spiffeId: latest.spiffeId, expiresAt: latest.expiresAt.toISOString() },
      rotated ? "X509-SVID rotated" : "X509-SVID received",
    );
    for (const wake of waiters) wake();
  };

  const follow = async (): Promise<void> => {
    for (let failures = 0; !stop.signal.aborted; ) {
      try {
        const stream = workloadApi.fetchX509SVID({}, { headers: WORKLOAD_HEADER, signal: stop.signal });
        for await (const response of stream) {
          failures = 0;
          // The agent lists every SVID this process is entitled to; like go-spiffe's default, use the first.
          const [first] = response.svids;
          if (first) accept(first);
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        lastFailure = error;
        // Until the agent has synced the registrar's entry it answers "no identity issued" on every
        // try: say so once per outage, not at every backoff step.
        const log = failures === 0 ? logger.warn.bind(logger) : logger.debug.bind(logger);
        log(
          { [LogField.reason]: reasonOf(error), agentSocketPath },
          "SPIRE agent Workload API stream failed; reopening",
        );
      }
      failures++;
      try {
        await delay(backoffDelayMs(backoff, failures, random), undefined, {
          signal: stop.signal,
          ref: false,
        });
      } catch {
        return;
      }
    }
  };
  void follow();

  return {
    current: () => latest,

    async waitForSvid(timeoutMs, signal) {
      if (latest) return { ok: true, value: latest };
      let wake: () => void = () => {};
      const arrived = new Promise<void>((resolve) => {
        wake = resolve;
        waiters.add(resolve);
      });
      const gaveUp = new AbortController();
      // A referenced timer: a caller is waiting, so the process must live until the deadline (an
      // unreferenced one let a CLI exit with its top-level await unsettled, code 13, no message).
      const timedOut = delay(timeoutMs, undefined, { signal: gaveUp.signal }).catch(() => {});
      const cancelled = new Promise<void>((resolve) => {
        if (signal?.aborted) resolve();
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      await Promise.race([arrived, timedOut, cancelled]);
      gaveUp.abort();
      waiters.delete(wake);
      if (latest) return { ok: true, value: latest };
      return { ok: false, error: noSvidError(agentSocketPath, lastFailure, stop.signal.aborted) };
    },

    close() {
      stop.abort();
      transport.close();
      for (const wake of waiters) wake();
    },
  };
}

/** Converts the Workload API's DER fields; a malformed SVID is a result, since it comes from another process. */
function toMaterial(svid: X509SVID): { ok: true; value: X509SvidMaterial } | { ok: false; error: string } {
  const chain = splitDerCertificates(svid.x509Svid);
  if (!chain.ok) return { ok: false, error: `x509_svid: ${chain.error}` };
  const bundle = splitDerCertificates(svid.bundle);
  if (!bundle.ok) return { ok: false, error: `bundle: ${bundle.error}` };
  const [leaf] = chain.value;
  if (!leaf || bundle.value.length === 0) return { ok: false, error: "empty certificate chain or bundle" };
  try {
    const privateKeyPem = createPrivateKey({
      key: Buffer.from(svid.x509SvidKey),
      format: "der",
      type: "pkcs8",
    }).export({ format: "pem", type: "pkcs8" }) as string;
    return {
      ok: true,
      value: {
        spiffeId: svid.spiffeId,
        certChainPem: chain.value.map((der) => toPem(der, "CERTIFICATE")).join(""),
        privateKeyPem,
        bundlePem: bundle.value.map((der) => toPem(der, "CERTIFICATE")).join(""),
        expiresAt: new Date(new X509Certificate(leaf).validTo),
      },
    };
  } catch (error) {
    return { ok: false, error: `unparsable key or certificate: ${(error as Error).message}` };
  }
}

/** Words the agent's last answer for an operator: which socket, and what to fix. */
function noSvidError(agentSocketPath: string, failure: unknown, closed: boolean): SpireError {
  const method = "FetchX509SVID";
  if (closed) {
    return new SpireError("the X509-SVID source was closed", "rejected", Code.Canceled, method);
  }
  const system = systemCodeOf(failure);
  if (system === "ENOENT" || system === "ECONNREFUSED") {
    return new SpireError(
      `SPIRE agent socket ${agentSocketPath} does not exist or does not accept connections (${system}): is spire-agent running and agent_socket_path mounted?`,
      "socket-missing",
      Code.Unavailable,
      method,
      { cause: failure },
    );
  }
  if (system === "EACCES" || system === "EPERM") {
    return new SpireError(
      `permission denied on SPIRE agent socket ${agentSocketPath}: the registrar must run as a user that may open it`,
      "permission-denied",
      Code.PermissionDenied,
      method,
      { cause: failure },
    );
  }
  if (failure !== undefined && ConnectError.from(failure).code === Code.PermissionDenied) {
    return new SpireError(
      `the SPIRE agent at ${agentSocketPath} issued no X509-SVID to this process (${ConnectError.from(failure).rawMessage}): register an entry for the registrar with -admin and selectors that match it (registrar bootstrap-entries prints the commands)`,
      "permission-denied",
      Code.PermissionDenied,
      method,
      { cause: failure },
    );
  }
  const reason = failure === undefined ? "no answer yet" : ConnectError.from(failure).message;
  return new SpireError(
    `no X509-SVID from the SPIRE agent at ${agentSocketPath}: ${reason}`,
    "unavailable",
    Code.Unavailable,
    method,
    { cause: failure },
  );
}

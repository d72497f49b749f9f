/**
 * This project's range checks on decoded values: durations and numbers within bounds, listen and
 * server addresses that parse as host:port, and enumerated keys within their values. The original
 * accepted anything here, and the mistake surfaced at run time (a 1 ms timeout, a listener that
 * cannot bind after SPIRE was already called, a lock type silently ignored).
 * Each message names the key, the value and, when the key is in the file, its line.
 */
import { parseDurationMs } from "./coerce.js";
import type { Config } from "./config.js";

type ValueView = Pick<
  Config,
  | "spireTimeout"
  | "entryBatchSize"
  | "entryConcurrency"
  | "webhookPort"
  | "maxRequestBytes"
  | "addr"
  | "metricsAddr"
  | "metricsBindAddr"
  | "serverAddress"
  | "leaderElectionResourceLock"
  | "eventAck"
  | "endpointsSource"
>;

/** Bounds of a duration key, in milliseconds, and how they are written in messages. */
interface DurationBounds {
  readonly minMs: number;
  readonly maxMs: number;
  readonly text: string;
}

/** spire_timeout: below 100 ms no RPC can succeed; over 10 min a hung server holds a function. */
export const SPIRE_TIMEOUT_BOUNDS: DurationBounds = { minMs: 100, maxMs: 600_000, text: "100ms and 10m" };

/** Bounds of integer keys (inclusive). */
export const INTEGER_BOUNDS = {
  // A batch goes in one gRPC message, which SPIRE limits to 4 MiB (about 1,000 large entries).
  entry_batch_size: { min: 1, max: 1_000 },
  entry_concurrency: { min: 1, max: 64 },
  webhook_port: { min: 1, max: 65_535 },
  /** 1 KiB (no AdmissionReview is smaller) to 64 MiB. */
  max_request_bytes: { min: 1024, max: 64 * 1024 * 1024 },
} as const;

/** Values of `leader_election_resource_lock` client-go knew; every one uses a Lease here. */
export const RESOURCE_LOCKS: readonly string[] = [
  "leases",
  "endpointsleases",
  "configmapsleases",
  "endpoints",
  "configmaps",
];

export const EVENT_ACKS: readonly string[] = ["processed", "accepted"];

export const ENDPOINTS_SOURCES: readonly string[] = ["endpointslices", "endpoints"];

/** The messages of every failing check; `at(key)` is ` (line N)` or "". */
export function valueErrors(config: ValueView, at: (key: string) => string): string[] {
  const errors: string[] = [];
  const durationError = durationBoundsError(config.spireTimeout, SPIRE_TIMEOUT_BOUNDS);
  if (durationError !== undefined) errors.push(`spire_timeout: ${durationError}${at("spire_timeout")}`);

  const integers: readonly [keyof typeof INTEGER_BOUNDS, number][] = [
    ["entry_batch_size", config.entryBatchSize],
    ["entry_concurrency", config.entryConcurrency],
    ["webhook_port", config.webhookPort],
    ["max_request_bytes", config.maxRequestBytes],
  ];
  for (const [key, value] of integers) {
    const { min, max } = INTEGER_BOUNDS[key];
    if (value < min || value > max) {
      const what = key === "webhook_port" ? "a port number" : `a number from ${min} to ${max}`;
      errors.push(`${key}: expected ${what}, got ${value}${at(key)}`);
    }
  }

  const addresses: readonly [string, string, boolean][] = [
    ["addr", config.addr, false],
    ["metrics_addr", config.metricsAddr, true],
    ["metrics_bind_addr", config.metricsBindAddr, true],
  ];
  for (const [key, value, zeroDisables] of addresses) {
    if (zeroDisables && value.trim() === "0") continue;
    const reason = hostPortError(value);
    if (reason !== undefined) errors.push(`${key}: ${reason}, got ${JSON.stringify(value)}${at(key)}`);
  }
  // Only an address written in the file: one derived from server_socket_path is a path.
  const serverError = config.serverAddress === "" ? undefined : serverAddressError(config.serverAddress);
  if (serverError !== undefined) {
    errors.push(
      `server_address: ${serverError}, got ${JSON.stringify(config.serverAddress)}${at("server_address")}`,
    );
  }

  const enums: readonly [string, string, readonly string[]][] = [
    ["leader_election_resource_lock", config.leaderElectionResourceLock, RESOURCE_LOCKS],
    ["event_ack", config.eventAck, EVENT_ACKS],
    ["endpoints_source", config.endpointsSource, ENDPOINTS_SOURCES],
  ];
  for (const [key, value, allowed] of enums) {
    if (!allowed.includes(value)) {
      const list = allowed.map((item) => JSON.stringify(item)).join(", ");
      errors.push(`${key}: expected one of ${list}, got ${JSON.stringify(value)}${at(key)}`);
    }
  }
  return errors;
}

/** Why `text` is not a duration within `bounds`, or undefined. */
export function durationBoundsError(text: string, bounds: DurationBounds): string | undefined {
  const ms = parseDurationMs(text);
  if (ms !== undefined && ms >= bounds.minMs && ms <= bounds.maxMs) return undefined;
  return `expected a duration between ${bounds.text}, got ${JSON.stringify(text)}`;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]*):(\d{1,5})$/;

/**
 * Why `value` is not a listen address `host:port` (Go's form: the host may be empty for every
 * interface, an IPv6 host is bracketed, the port is 1-65535), or undefined.
 */
export function hostPortError(value: string): string | undefined {
  const match = HOST_PORT.exec(value);
  const port = Number(match?.[2]);
  if (!match || !(port >= 1 && port <= 65_535))
    return "expected host:port or :port with a port from 1 to 65535";
  return undefined;
}

/** Why a SPIRE server address is neither `unix:///absolute/path` nor `[dns:///]host:port`, or undefined. */
export function serverAddressError(value: string): string | undefined {
  if (value.startsWith("unix://")) {
    return value.startsWith("unix:///") ? undefined : "expected unix:///absolute/path";
  }
  const hostPort = value.startsWith("dns:///") ? value.slice("dns:///".length) : value;
  const match = HOST_PORT.exec(hostPort);
  if (match?.[1] === "") return "expected host:port (a SPIRE server needs a host)";
  return hostPortError(hostPort) === undefined
    ? undefined
    : "expected unix:///absolute/path or host:port with a port from 1 to 65535";
}

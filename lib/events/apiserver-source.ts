/**
 * Interprets Knative ApiServerSource events (Reference and Resource modes) as hints about one
 * Kubernetes object. A hint only names the object: handlers re-read it from the API server
 * (events are hints, the API server is the truth), so a forged or stale event is at worst a no-op.
 */
import type { CloudEvent } from "./cloudevent.js";
import { objectNameError } from "./object-names.js";

export type ObjectAction = "add" | "update" | "delete";

/** The object an event is about. `namespace` is undefined for cluster-scoped kinds. */
export interface ObjectHint {
  readonly action: ObjectAction;
  readonly mode: "ref" | "resource";
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /**
   * The object's UID when the event carries one (cluster-spiffeid mode finds a deleted pod's entries by it);
   * like the rest of the hint, a claim to check against the API server.
   */
  readonly uid?: string;
  /**
   * Resource mode: the object as the event carries it. A claim like the rest: a handler may use it only to
   * skip work its last reconcile already did (cluster-spiffeid mode: a pod update that changed only the
   * status), never to derive anything.
   */
  readonly object?: Readonly<Record<string, unknown>>;
}

/** An expected failure: `malformed` is a broken event, `foreign` one that is not for this function. */
export type HintResult =
  | { ok: true; hint: ObjectHint }
  | { ok: false; reason: "malformed" | "foreign"; message: string };

const TYPE_PATTERN = /^dev\.knative\.apiserver\.(ref|resource)\.(add|update|delete)$/;

/** The CloudEvent type a PingSource sends. */
export const PING_EVENT_TYPE = "dev.knative.sources.ping";

/**
 * Reads the object hint of an ApiServerSource event and checks that its kind is one of `kinds`
 * (e.g. ["Pod"]). The object is named by the event data (an ObjectReference in Reference mode, the
 * object in Resource mode); the `kind`/`name`/`namespace` extensions, when present, must agree. A
 * namespaced kind without a namespace, or a name Kubernetes would not accept, is malformed.
 */
export function readObjectHint(event: CloudEvent, kinds: readonly string[]): HintResult {
  const match = TYPE_PATTERN.exec(event.type);
  if (!match) {
    return {
      ok: false,
      reason: "foreign",
      message: `unexpected CloudEvent type "${event.type}": want dev.knative.apiserver.ref.* or dev.knative.apiserver.resource.*`,
    };
  }
  const mode = match[1] as "ref" | "resource";
  const action = match[2] as ObjectAction;
  const named = mode === "ref" ? fromReference(event.data) : fromResource(event.data);
  if (typeof named === "string")
    return { ok: false, reason: "malformed", message: `${event.type} event ${event.id}: ${named}` };

  for (const [extension, value] of [
    ["kind", named.kind],
    ["name", named.name],
    ["namespace", named.namespace ?? ""],
  ] as const) {
    const given = event.extensions[extension];
    if (given !== undefined && given !== value) {
      return {
        ok: false,
        reason: "malformed",
        message: `event ${event.id}: extension ${extension}="${given}" does not match the data's "${value}"`,
      };
    }
  }
  if (!kinds.includes(named.kind)) {
    return {
      ok: false,
      reason: "foreign",
      message: `event ${event.id} is about a ${named.kind}; this function handles ${kinds.join(", ")}`,
    };
  }
  // Checked before the name reaches an API path (a Pod named ".." would read another path).
  const nameError = objectNameError(named.kind, named.namespace, named.name);
  if (nameError !== undefined)
    return { ok: false, reason: "malformed", message: `event ${event.id}: ${nameError}` };
  return {
    ok: true,
    hint: {
      action,
      mode,
      ...named,
      ...(mode === "resource" ? { object: event.data as Record<string, unknown> } : {}),
    },
  };
}

type Named = Omit<ObjectHint, "action" | "mode">;

function fromReference(data: unknown): Named | string {
  if (!isRecord(data)) return "data must be an ObjectReference JSON object";
  return named(data.apiVersion, data.kind, data.namespace, data.name, data.uid, "data");
}

function fromResource(data: unknown): Named | string {
  if (!isRecord(data)) return "data must be the Kubernetes object as a JSON object";
  const metadata = data.metadata;
  if (!isRecord(metadata)) return "data.metadata is missing";
  return named(data.apiVersion, data.kind, metadata.namespace, metadata.name, metadata.uid, "data.metadata");
}

function named(
  apiVersion: unknown,
  kind: unknown,
  namespace: unknown,
  name: unknown,
  uid: unknown,
  where: string,
): Named | string {
  if (typeof kind !== "string" || kind === "") return "data.kind is missing";
  if (typeof apiVersion !== "string" || apiVersion === "") return "data.apiVersion is missing";
  if (typeof name !== "string" || name === "") return `${where}.name is missing`;
  if (namespace !== undefined && namespace !== null && typeof namespace !== "string") {
    return `${where}.namespace must be a string`;
  }
  if (uid !== undefined && uid !== null && (typeof uid !== "string" || uid.length > 128)) {
    return `${where}.uid must be a string of at most 128 characters`;
  }
  return {
    apiVersion,
    kind,
    name,
    ...(typeof namespace === "string" && namespace !== "" ? { namespace } : {}),
    ...(typeof uid === "string" && uid !== "" ? { uid } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

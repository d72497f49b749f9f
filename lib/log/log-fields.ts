/**
 * The names of structured log fields, shared by all code so that the same fact is always logged
 * under the same key (operators query by these). Add a field here before logging it.
 */
export const LogField = {
  component: "component",
  function: "function",
  mode: "mode",
  spiffeId: "spiffe_id",
  parentId: "parent_id",
  entryId: "entry_id",
  selectors: "selectors",
  namespace: "namespace",
  pod: "pod",
  podUid: "pod_uid",
  node: "node",
  kind: "kind",
  name: "name",
  eventType: "event_type",
  eventId: "event_id",
  admissionUid: "admission_uid",
  operation: "operation",
  created: "created",
  updated: "updated",
  deleted: "deleted",
  durationMs: "duration_ms",
  address: "address",
  path: "path",
  method: "method",
  /** A short error code (ECONNRESET, a gRPC code name), logged instead of a stack for expected failures. */
  code: "code",
  error: "err",
  /** One line saying why a retried operation failed (lib/log/reason.ts); no stack. */
  reason: "reason",
  /** The bridge's ApiServerSource event mode (Reference or Resource); not the registrar's `mode`. */
  eventMode: "event_mode",
} as const;

export type LogFieldName = (typeof LogField)[keyof typeof LogField];

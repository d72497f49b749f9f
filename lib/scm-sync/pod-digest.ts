/**
 * The digest of what a pod's entries can be derived from in cluster-spiffeid mode: its `metadata` but
 * `resourceVersion` and `managedFields`, and its `spec` (SCM's templates see `.PodMeta` and `.PodSpec`, never the
 * status). A status update leaves it unchanged. Keys are sorted, so the API server's JSON and an event adapter's
 * re-encoding of the same object give the same digest.
 */
import { createHash } from "node:crypto";

export function podDigest(pod: unknown): string | undefined {
  if (!isRecord(pod) || !isRecord(pod.metadata)) return undefined;
  const { resourceVersion: _version, managedFields: _fields, ...metadata } = pod.metadata;
  return createHash("sha256")
    .update(canonicalJson({ metadata, spec: pod.spec ?? null }))
    .digest("base64");
}

/** JSON with every object's keys sorted (keys whose value is undefined left out, as JSON.stringify does). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isRecord(value)) {
    const fields = Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

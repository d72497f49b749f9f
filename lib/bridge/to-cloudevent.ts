/**
 * Builds the CloudEvent a Knative ApiServerSource sends for one watch event, as an HTTP request in
 * binary mode. The format follows the adapter (knative/eventing pkg/adapter/apiserver/events):
 * type `dev.knative.apiserver.ref.<action>` (Reference mode, data = an ObjectReference) or
 * `dev.knative.apiserver.resource.<action>` (Resource mode, data = the object); source = the API
 * server URL; subject = a pseudo self-link; extensions kind, apiversion, name, namespace;
 * datacontenttype application/json; no time. Pure: the event id is passed in.
 */

export type ChangeAction = "add" | "update" | "delete";

/** Reference mode (the ApiServerSource default) or Resource mode. */
export type EventMode = "Reference" | "Resource";

/** A Kubernetes object as JSON; only the fields the event needs are read. */
export interface KubeObjectJson {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

export interface OutgoingEvent {
  /** Lower-case header names: `ce-*` attributes and `content-type`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON data. */
  readonly body: string;
}

/**
 * The binary-mode request for `object` having been added, updated or deleted. `object` must carry
 * apiVersion and kind (watch events do; list items need them stamped on).
 */
export function toCloudEvent(
  action: ChangeAction,
  object: KubeObjectJson,
  options: { readonly mode: EventMode; readonly source: string; readonly id: string },
): OutgoingEvent {
  const apiVersion = object.apiVersion ?? "";
  const kind = object.kind ?? "";
  const name = object.metadata?.name ?? "";
  const namespace = object.metadata?.namespace ?? "";
  const reference = options.mode === "Reference";
  // Go's corev1.ObjectReference marshals in field order with omitempty: kind, namespace, name, apiVersion.
  const data = reference
    ? {
        ...(kind ? { kind } : {}),
        ...(namespace ? { namespace } : {}),
        ...(name ? { name } : {}),
        ...(apiVersion ? { apiVersion } : {}),
      }
    : object;
  return {
    headers: {
      "ce-specversion": "1.0",
      "ce-id": options.id,
      "ce-type": `dev.knative.apiserver.${reference ? "ref" : "resource"}.${action}`,
      "ce-source": options.source,
      "ce-subject": selfLink(apiVersion, kind, namespace, name),
      "ce-kind": kind,
      "ce-apiversion": apiVersion,
      "ce-name": name,
      "ce-namespace": namespace,
      "content-type": "application/json",
    },
    body: JSON.stringify(data),
  };
}

/**
 * The adapter's pseudo self-link: `/apis/<apiVersion>/namespaces/<ns>/<resource>/<name>`, with the
 * resource guessed from the kind, core types under `/apis/v1`, and an empty namespace segment for
 * cluster-scoped kinds (all as the adapter does it).
 */
export function selfLink(apiVersion: string, kind: string, namespace: string, name: string): string {
  // A group without a version ("example.com") gets a placeholder version, as in the adapter.
  const version =
    apiVersion.includes(".") && !apiVersion.includes("/") ? `${apiVersion}/versionUnknown` : apiVersion;
  return `/apis/${version}/namespaces/${namespace}/${guessResource(kind)}/${name}`;
}

/** apimachinery's UnsafeGuessKindToResource: lower case, then a naive English plural. */
export function guessResource(kind: string): string {
  const singular = kind.toLowerCase();
  if (singular === "" || singular.endsWith("endpoints")) return singular;
  if (singular.endsWith("s")) return `${singular}es`;
  if (singular.endsWith("y")) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

/**
 * Kubernetes' name rules for the objects an event names, checked before the name goes into an API
 * path: a name such as `..` or `a/b` would otherwise make the handler read another API path and take
 * the answer for the object. Pods, Nodes, EndpointSlices, Endpoints and SpiffeIDs are named by DNS-1123
 * subdomains (Endpoints by their Service's DNS-1035 label, which is one); namespaces by DNS-1123 labels.
 */

const MAX_SUBDOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose objects live in a namespace; every other kind the registrar reads is cluster-scoped. */
const NAMESPACED_KINDS: ReadonlySet<string> = new Set(["Pod", "EndpointSlice", "Endpoints", "SpiffeID"]);

/** Why `name` is not a DNS-1123 subdomain, or undefined. */
export function subdomainError(name: string): string | undefined {
  if (name.length > MAX_SUBDOMAIN_LENGTH) return `must be no more than ${MAX_SUBDOMAIN_LENGTH} characters`;
  if (!name.split(".").every((part) => LABEL.test(part))) {
    return "must be a DNS-1123 subdomain (lower case letters, digits, '-' and '.', starting and ending with a letter or digit)";
  }
  return undefined;
}

/** Why `name` is not a DNS-1123 label, or undefined. */
export function labelError(name: string): string | undefined {
  if (name.length > MAX_LABEL_LENGTH) return `must be no more than ${MAX_LABEL_LENGTH} characters`;
  if (!LABEL.test(name)) {
    return "must be a DNS-1123 label (lower case letters, digits and '-', starting and ending with a letter or digit)";
  }
  return undefined;
}

/**
 * Why an event's object reference cannot name a real object of `kind`: a namespaced kind needs a
 * valid namespace, and every name must follow its rule. Undefined when it can.
 */
export function objectNameError(
  kind: string,
  namespace: string | undefined,
  name: string,
): string | undefined {
  if (NAMESPACED_KINDS.has(kind)) {
    if (namespace === undefined) return `a ${kind} event must name the object's namespace`;
    const reason = labelError(namespace);
    if (reason !== undefined) return `namespace ${JSON.stringify(namespace)} ${reason}`;
  }
  const reason = subdomainError(name);
  return reason === undefined ? undefined : `${kind} name ${JSON.stringify(name)} ${reason}`;
}

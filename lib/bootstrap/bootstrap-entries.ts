/**
 * The SPIRE entries that give the registrar's functions their own identity (pure). A function
 * reaching the server over mTLS needs an X509-SVID whose entry is `admin` (SPIRE authorizes the
 * entry RPCs, and MintX509SVID, only for admin SVIDs). Instead of one entry per node, one node
 * alias covers every agent of the cluster (`k8s_psat:cluster:<cluster>`), and each function's
 * ServiceAccount gets one admin entry parented to it.
 *
 * The IDs stay out of every mode's ownership, so no resync ever deletes them: the alias is
 * `spiffe://<td>/k8s-workload-registrar/<cluster>/agents` with one selector (not webhook mode's
 * `.../node` alias, not below reconcile mode's `<controller_name>/<cluster>/node`, not crd mode's
 * two-selector node shape), and the admin entries are parented to it.
 */
import type { EntrySpec } from "../planner/entry.js";
import { serverId, WEBHOOK_ID_PREFIX } from "../planner/registrar-ids.js";
import { joinPath } from "../spiffe/id.js";
import { fail, ok, type Result } from "../spiffe/result.js";

export type RegistrarMode = "webhook" | "reconcile" | "crd" | "cluster-spiffeid";

/** The ServiceAccounts of the Knative overlays' functions, per mode (deploy/ runs one: k8s-workload-registrar). */
export const KNATIVE_SERVICE_ACCOUNTS: Readonly<Record<RegistrarMode, readonly string[]>> = {
  webhook: ["registrar-pod-admission", "registrar-resync"],
  reconcile: ["registrar-k8s-events", "registrar-resync"],
  crd: [
    "registrar-k8s-events",
    "registrar-spiffeid-events",
    "registrar-resync",
    "registrar-spiffeid-validation",
  ],
  "cluster-spiffeid": ["registrar-k8s-events", "registrar-resync", "registrar-cluster-spiffeid-validation"],
};

export interface BootstrapOptions {
  readonly trustDomain: string;
  readonly cluster: string;
  /** Where the functions run (`k8s:ns:` selector). */
  readonly namespace: string;
  readonly serviceAccounts: readonly string[];
}

/** A Kubernetes namespace or ServiceAccount name (a DNS-1123 subdomain, as Kubernetes checks it). */
const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The node alias first, then one admin entry per ServiceAccount. */
export function bootstrapEntries(options: BootstrapOptions): Result<EntrySpec[]> {
  for (const name of [options.namespace, ...options.serviceAccounts]) {
    if (!KUBE_NAME.test(name)) return fail(`${JSON.stringify(name)} is not a Kubernetes name`);
  }
  if (options.serviceAccounts.length === 0) return fail("no ServiceAccount given");
  const server = serverId(options.trustDomain);
  const alias = joinPath(options.trustDomain, [WEBHOOK_ID_PREFIX, options.cluster, "agents"]);
  if (!server.ok) return server;
  if (!alias.ok) return fail(`cluster ${JSON.stringify(options.cluster)}: ${alias.error}`);
  const entries: EntrySpec[] = [
    spec(alias.value, server.value, [{ type: "k8s_psat", value: `cluster:${options.cluster}` }], false),
  ];
  for (const account of options.serviceAccounts) {
    const id = joinPath(options.trustDomain, [WEBHOOK_ID_PREFIX, options.cluster, "sa", account]);
    if (!id.ok) return id;
    entries.push(
      spec(
        id.value,
        alias.value,
        [
          { type: "k8s", value: `ns:${options.namespace}` },
          { type: "k8s", value: `sa:${account}` },
        ],
        true,
      ),
    );
  }
  return ok(entries);
}

/** The `spire-server entry create` command lines that create `entries` (the alias with `-node`). */
export function entryCreateCommands(entries: readonly EntrySpec[], serverIdOfDomain: string): string[] {
  return entries.map((entry) => {
    const words = ["spire-server", "entry", "create"];
    if (entry.parentId === serverIdOfDomain) words.push("-node");
    else words.push("-parentID", entry.parentId);
    if (entry.admin) words.push("-admin");
    words.push("-spiffeID", entry.spiffeId);
    for (const selector of entry.selectors) words.push("-selector", `${selector.type}:${selector.value}`);
    return words.join(" ");
  });
}

function spec(
  spiffeId: string,
  parentId: string,
  selectors: EntrySpec["selectors"],
  admin: boolean,
): EntrySpec {
  return { spiffeId, parentId, selectors, dnsNames: [], federatesWith: [], admin, downstream: false };
}

/**
 * What the scale benchmark's phases share: the options, the running cluster and the plan, the
 * registrar's configuration and what it means for the expected entries, and progress details.
 */
import type { Entry } from "../../../lib/planner/entry.js";
import type { Cluster } from "../../e2e/harness/cluster.js";
import { CLUSTER, TRUST_DOMAIN } from "../compare/identity.js";
import type { Progress } from "../compare/progress.js";
import type { RolloutProgress } from "./cluster-workload.js";
import type { PodFacts, ReconcileIdentity } from "./expected-entries.js";
import type { ScaleSettings } from "./settings.js";
import type { WorkloadPlan } from "./workload-plan.js";

export interface ScaleOptions {
  readonly settings: ScaleSettings;
  readonly progress: Progress;
  /** Where logs are copied when a step fails. */
  readonly logsDir: string;
}

/** What the phases share. */
export interface Scene extends ScaleOptions {
  readonly cluster: Cluster;
  readonly plan: WorkloadPlan;
  readonly timing: { readonly quietMs: number; readonly timeoutMs: number };
}

/** The cluster as a phase left it: its pods, and SPIRE's entries then. */
export interface State {
  readonly facts: readonly PodFacts[];
  readonly entries: readonly Entry[];
}

/** The registrar's configuration (and the floor's): reconcile mode, identity from the service account. */
export const REGISTRAR_CONFIG = {
  mode: "reconcile",
  trust_domain: TRUST_DOMAIN,
  cluster: CLUSTER,
  log_level: "info",
};

/** What REGISTRAR_CONFIG means for the entries (the defaults of controller_name, disabled_namespaces). */
export const IDENTITY: ReconcileIdentity = {
  trustDomain: TRUST_DOMAIN,
  cluster: CLUSTER,
  controllerName: "spire-k8s-registrar",
  disabledNamespaces: ["kube-system", "kube-public"],
};

/** Progress detail: entries created so far. */
export function created(done: number, total: number): string {
  return `${done}/${total} entries created`;
}

/** Progress detail: how far the rollouts are. */
export function rolloutDetail(current: RolloutProgress | undefined): string {
  return current === undefined
    ? "no reading yet"
    : `${current.done}/${current.total} Deployments rolled out, ${current.available}/${current.wanted} pods available`;
}

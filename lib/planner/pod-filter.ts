/** Which pods get an entry at all, before their identity is considered (DESIGN §3, reference §3.4). */
import type { Pod } from "./k8s-objects.js";

const TERMINAL_PHASES: ReadonlySet<string> = new Set(["Succeeded", "Failed"]);

/**
 * True when a pod can still run workloads: not in a terminal phase. A pod with a deletionTimestamp keeps its
 * entry until it is gone, because it may serve during graceful termination (the Go registrar deleted early).
 */
export function isLivePod(pod: Pod): boolean {
  return !TERMINAL_PHASES.has(pod.status?.phase ?? "");
}

/** The disabled-namespace test, as a set lookup. */
export function namespaceFilter(disabledNamespaces: readonly string[]): (namespace: string) => boolean {
  const disabled = new Set(disabledNamespaces);
  return (namespace) => !disabled.has(namespace);
}

/**
 * The scale benchmark's workload, planned before anything is created: namespaces `scale-<k>`,
 * Deployments `app-<j>` spread over them in blocks (Deployment j in namespace floor(j·N/D)), their
 * replicas summing to the pods wanted; the Deployments the churn rolls (spread evenly over all of
 * them) and the namespaces the last phase deletes (spread evenly, counted from the last, so that
 * with the defaults the churned namespaces survive and their new identities are checked at the end).
 */

export interface PlannedDeployment {
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
}

export interface WorkloadPlan {
  readonly namespaces: readonly string[];
  readonly deployments: readonly PlannedDeployment[];
  /** The Deployments whose pod template the churn changes. */
  readonly churned: readonly PlannedDeployment[];
  readonly deletedNamespaces: readonly string[];
}

export interface WorkloadShape {
  readonly pods: number;
  readonly deployments: number;
  readonly namespaces: number;
  readonly churnFraction: number;
  readonly deleteFraction: number;
}

export function planWorkload(shape: WorkloadShape): WorkloadPlan {
  const namespaces = Array.from({ length: shape.namespaces }, (_, k) => `scale-${k}`);
  const base = Math.floor(shape.pods / shape.deployments);
  const extra = shape.pods % shape.deployments;
  const deployments = Array.from({ length: shape.deployments }, (_, j) => ({
    namespace: namespaces[Math.floor((j * shape.namespaces) / shape.deployments)] as string,
    name: `app-${j}`,
    replicas: base + (j < extra ? 1 : 0),
  }));
  const churned = spread(Math.round(shape.churnFraction * shape.deployments), shape.deployments).map(
    (j) => deployments[j] as PlannedDeployment,
  );
  const deletedNamespaces = spread(Math.floor(shape.deleteFraction * shape.namespaces), shape.namespaces)
    .map((k) => namespaces[shape.namespaces - 1 - k] as string)
    .reverse();
  return { namespaces, deployments, churned, deletedNamespaces };
}

/** `count` distinct indices (at most `total`) spread evenly over 0..total-1, ascending. */
export function spread(count: number, total: number): number[] {
  const n = Math.min(Math.max(count, 0), total);
  return Array.from({ length: n }, (_, k) => Math.floor((k * total) / n));
}

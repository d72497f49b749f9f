/**
 * The registrar's phases after its cold start, on the living cluster: the churn (a rolling update
 * of some Deployments to another service account) and the deletion of some namespaces. Each is
 * timed from its first API call to the server's time of the last entry write it waits for; per pod
 * from the benchmark's pod watch (bound to a node; gone) to the audit log's write.
 */
import { latencies, latest, seconds } from "../compare/phases.js";
import { entryIdsByPod, podKey, podUids } from "../compare/pod-key.js";
import {
  CHURN_SERVICE_ACCOUNT,
  deleteNamespaces,
  listPodFacts,
  podsOf,
  type RolloutProgress,
  setServiceAccount,
  waitForRollouts,
} from "./cluster-workload.js";
import { deriveExpected, type PodFacts } from "./expected-entries.js";
import { openPhaseWindow } from "./phase-window.js";
import type { PodStampWatch } from "./pod-stamps.js";
import type { ScalePhase } from "./results.js";
import { created, IDENTITY, rolloutDetail, type Scene, type State } from "./scene.js";
import type { SpireRun } from "./spire-run.js";

/** Moves the churned Deployments to another service account; done when SPIRE has followed. */
export async function churnPhase(
  scene: Scene,
  run: SpireRun,
  stamps: PodStampWatch,
  before: State,
): Promise<{ phase: ScalePhase; state: State }> {
  const { settings, progress, plan, cluster } = scene;
  const churned = new Set(plan.churned.map((d) => `${d.namespace}/${d.name}`));
  const oldKeys = before.facts
    .filter((pod) => churned.has(`${pod.namespace}/${pod.app}`))
    .map((pod) => podKey(pod.namespace, pod.name));
  const oldIds = entryIdsByPod(before.entries, oldKeys, podUids());
  if (oldIds.size !== oldKeys.length)
    throw new Error(`${oldKeys.length - oldIds.size} churned pods had no entry`);

  const window = openPhaseWindow(run, "churn", scene.timing);
  const rollout: { current?: RolloutProgress } = {};
  progress.step(
    `churn: ${plan.churned.length} Deployments (${oldKeys.length} pods) to service account ${CHURN_SERVICE_ACCOUNT}`,
    () => rolloutDetail(rollout.current),
  );
  const t0 = Date.now();
  await setServiceAccount(cluster.kubeConfig, plan.churned, CHURN_SERVICE_ACCOUNT, settings.inflight);
  await waitForRollouts(cluster.kube, plan.churned, scene.timing.timeoutMs, rollout);
  const clusterMs = Date.now() - t0;
  const replaced = (await podsOf(cluster.kube, plan.churned, settings.inflight)).filter(
    (p) => !p.terminating,
  );
  const stale = replaced.filter((pod) => pod.serviceAccount !== CHURN_SERVICE_ACCOUNT);
  if (stale.length > 0)
    throw new Error(`${stale.length} pods of rolled-out Deployments kept the old account`);
  const newKeys = replaced.map((pod) => podKey(pod.namespace, pod.name));
  const createdWait = run.audit.created(newKeys);
  const deletedWait = run.audit.deleted(oldIds);
  progress.step(
    "churn: rollouts done, waiting for SPIRE",
    () =>
      `${created(createdWait.reachedAt.size, newKeys.length)}, ` +
      `${deletedWait.reachedAt.size}/${oldIds.size} old pods' entries deleted`,
  );
  const [createdAt, deletedAt] = await Promise.all([
    createdWait.done(scene.timing.timeoutMs),
    deletedWait.done(scene.timing.timeoutMs),
  ]);
  const convergenceMs = Math.max(latest(createdAt), latest(deletedAt)) - t0;
  let facts: PodFacts[] = [];
  const settled = await window.settle(
    { convergenceMs, clusterMs, perPod: perPod(createdAt, stamps.scheduledAt, newKeys) },
    async () => {
      facts = await listPodFacts(cluster.kube);
      return deriveExpected(facts, cluster.nodeNames, IDENTITY).lines;
    },
  );
  progress.note(
    `churn: converged after ${seconds(convergenceMs)} (rollouts ${seconds(clusterMs)}), ` +
      `per pod p99 ${settled.phase.perPod?.p99Ms.toFixed(0)} ms`,
  );
  return { phase: settled.phase, state: { facts, entries: settled.entries } };
}

/** Deletes a fraction of the namespaces; done when their pods' entries are all gone. */
export async function deletePhase(
  scene: Scene,
  run: SpireRun,
  stamps: PodStampWatch,
  before: State,
): Promise<ScalePhase> {
  const { settings, progress, plan, cluster } = scene;
  const deleted = new Set(plan.deletedNamespaces);
  const goneKeys = before.facts
    .filter((pod) => deleted.has(pod.namespace))
    .map((pod) => podKey(pod.namespace, pod.name));
  const ids = entryIdsByPod(before.entries, goneKeys, podUids());
  if (ids.size !== goneKeys.length)
    throw new Error(`${goneKeys.length - ids.size} pods had no entry to delete`);
  const window = openPhaseWindow(run, "delete", scene.timing);
  const wait = run.audit.deleted(ids);
  progress.step(
    `delete: ${deleted.size} namespaces (${goneKeys.length} pods)`,
    () =>
      `${goneKeys.filter((key) => stamps.goneAt.has(key)).length}/${goneKeys.length} pods gone, ` +
      `${wait.reachedAt.size}/${ids.size} pods' entries deleted`,
  );
  const t0 = Date.now();
  await deleteNamespaces(cluster.kubeConfig, plan.deletedNamespaces, settings.inflight);
  const reached = await wait.done(scene.timing.timeoutMs);
  const convergenceMs = latest(reached) - t0;
  const goneAt = goneKeys.map((key) => stamps.goneAt.get(key)).filter((at) => at !== undefined);
  const { phase } = await window.settle(
    {
      convergenceMs,
      ...(goneAt.length === goneKeys.length ? { clusterMs: Math.max(...goneAt) - t0 } : {}),
      perPod: perPod(reached, stamps.goneAt, goneKeys),
    },
    async () => deriveExpected(await listPodFacts(cluster.kube), cluster.nodeNames, IDENTITY).lines,
  );
  progress.note(`delete: every entry of ${deleted.size} namespaces gone after ${seconds(convergenceMs)}`);
  return phase;
}

/** Per-pod latencies from `since` to `reached`, with how many pods had no `since` stamp. */
function perPod(
  reached: ReadonlyMap<string, number>,
  since: ReadonlyMap<string, number>,
  keys: readonly string[],
): NonNullable<ScalePhase["perPod"]> {
  const stamped = keys.filter((key) => since.has(key)).length;
  return { ...latencies(reached, since), pods: stamped, unstamped: keys.length - stamped };
}

/**
 * The living cluster itself (harness/cluster.ts): what the scenario tests and `npm run bench:scale`
 * rely on, checked once against the real components: pods of a Deployment are scheduled onto the
 * kwok nodes and run with IPs, a Service's EndpointSlices follow them, a deleted pod terminates
 * gracefully, a pod with a readiness gate nobody sets runs but is not Ready, a pod no node matches
 * stays unscheduled, and a Job's pods finish.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { workloads } from "./support/workloads.js";

describe.skipIf(skipWithoutPeers(CLUSTER_PEERS))(
  "living cluster: controller-manager, scheduler and kwok",
  () => {
    let cluster: Cluster | undefined;
    const live = (): Cluster => {
      if (cluster === undefined) throw new Error("cluster did not start (see beforeAll)");
      return cluster;
    };

    beforeAll(async () => {
      cluster = await startCluster({ nodes: 3 });
    }, 180_000);
    beforeEach(({ onTestFailed }) => {
      onTestFailed(printPeerLogs);
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it("schedules a Deployment's pods onto the kwok nodes, running with distinct pod IPs", async () => {
      const w = workloads(live().kubeConfig);
      await w.createNamespace("living");
      const pods = await w.createDeployment("living", "web", 4, { labels: { app: "web" } });
      expect(pods).toHaveLength(4);
      for (const pod of pods) {
        expect(live().nodeNames).toContain(pod.spec?.nodeName);
        expect(pod.status?.podIP).toMatch(/^10\.(6[4-9]|7\d)\./);
        expect(pod.spec?.serviceAccountName).toBe("default");
      }
      expect(new Set(pods.map((p) => p.status?.podIP)).size).toBe(4);
    });

    it("keeps a Service's EndpointSlices on its ready pods, and a deleted pod terminates then disappears", async () => {
      const w = workloads(live().kubeConfig);
      await w.createService("living", "web", { app: "web" });
      const pods = await w.runningPods("living", { app: "web" }, 4);
      const names = pods.map((p) => p.metadata?.name ?? "");
      await w.serviceTargets("living", "web", names);

      const victim = names[0] ?? "";
      await w.core.deleteNamespacedPod({ namespace: "living", name: victim });
      const terminating = await w.core.readNamespacedPod({ namespace: "living", name: victim });
      expect(terminating.metadata?.deletionTimestamp).toBeDefined();
      const replaced = await w.runningPods("living", { app: "web" }, 4);
      expect(replaced.map((p) => p.metadata?.name)).not.toContain(victim);
      await w.serviceTargets(
        "living",
        "web",
        replaced.map((p) => p.metadata?.name ?? ""),
      );
    });

    it("keeps a pod with an unset readiness gate not Ready, its endpoint not ready, and an unmatched pod unscheduled", async () => {
      const w = workloads(live().kubeConfig);
      const gated = await w.runUnreadyPod("living", "gated", { labels: { app: "gated" } });
      expect(gated.status?.podIP).toMatch(/^10\.(6[4-9]|7\d)\./);
      await w.createService("living", "gated", { app: "gated" });
      await w.serviceTargets("living", "gated", [], ["gated"]);
      const pending = await w.createUnschedulablePod("living", "nowhere");
      expect(pending.spec?.nodeName).toBeUndefined();
      expect(pending.status?.phase).toBe("Pending");
    });

    it("runs a Job's pods to completion", async () => {
      const w = workloads(live().kubeConfig);
      await w.runJob("living", "once", 2, { labels: { job: "once" } });
      const pods = await w.core.listNamespacedPod({ namespace: "living", labelSelector: "job=once" });
      expect(pods.items.map((p) => p.status?.phase)).toEqual(["Succeeded", "Succeeded"]);
    });
  },
);

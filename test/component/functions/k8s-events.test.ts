import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../../functions/k8s-events/app.js";
import { KubeApiError } from "../../../lib/k8s/errors.js";
import type { PlannerConfig } from "../../../lib/planner/planner-config.js";
import { endpointSlice, sliceEndpoint } from "../../unit/planner/fixtures.js";
import { recordingLogger } from "../spiffeid-validation/support.js";
import { podObject, type Rig, reconcileConfig, refEvent, silentLogger, startRig, TD } from "./harness.js";

const ROOT = `spiffe://${TD}/spire-k8s-registrar/c1/node`;
const ready = async () => ({ ready: true as const });

describe("k8s-events (reconcile mode)", () => {
  let rig: Rig;
  let app: ReturnType<typeof createApp>;
  const start = async (config: PlannerConfig = reconcileConfig()) => {
    rig = await startRig(config);
    app = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready });
  };
  beforeEach(() => start());
  afterEach(() => rig.stop());

  it("creates a pod's entry from a Reference-mode event, parented to its node", async () => {
    rig.cluster.putPod(podObject({ name: "web-1", node: "n1", serviceAccount: "web" }));
    const response = await app.request(refEvent("add", "Pod", "web-1", "default"));
    expect(response.status).toBe(204);
    expect(await rig.entries()).toMatchObject([
      {
        spiffeId: `spiffe://${TD}/ns/default/sa/web`,
        parentId: `${ROOT}/n1`,
        selectors: [
          { type: "k8s", value: "ns:default" },
          { type: "k8s", value: "pod-name:web-1" },
        ],
      },
    ]);
  });

  it("changes nothing when an event is replayed or arrives out of order", async () => {
    rig.cluster.putPod(podObject({ name: "web-1", node: "n1" }));
    await app.request(refEvent("add", "Pod", "web-1", "default"));
    const before = await rig.entries();
    const creates = rig.spireServer.rpcCounts.BatchCreateEntry;
    // a stale delete (the pod still exists), then the add again
    expect((await app.request(refEvent("delete", "Pod", "web-1", "default"))).status).toBe(204);
    expect((await app.request(refEvent("add", "Pod", "web-1", "default"))).status).toBe(204);
    expect(await rig.entries()).toEqual(before);
    expect(rig.spireServer.rpcCounts.BatchCreateEntry).toBe(creates);
  });

  it("deletes the entry of a pod that is gone, and of a terminal pod", async () => {
    rig.cluster.putPod(podObject({ name: "a", node: "n1" }));
    rig.cluster.putPod(podObject({ name: "b", node: "n1" }));
    await app.request(refEvent("add", "Pod", "a", "default"));
    await app.request(refEvent("add", "Pod", "b", "default"));
    rig.cluster.pods.delete("default/a");
    rig.cluster.putPod(podObject({ name: "b", node: "n1", phase: "Succeeded" }));
    await app.request(refEvent("delete", "Pod", "a", "default"));
    await app.request(refEvent("update", "Pod", "b", "default"));
    expect(await rig.entries()).toEqual([]);
  });

  it("never touches an entry it does not own, even with the pod's selectors", async () => {
    const foreign = {
      spiffeId: `spiffe://${TD}/ns/default/sa/default`,
      parentId: `spiffe://${TD}/spire-k8s-registrar/c1/node-extra/n1`,
      selectors: [
        { type: "k8s", value: "ns:default" },
        { type: "k8s", value: "pod-name:web-1" },
      ],
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
    };
    rig.seed(foreign);
    await app.request(refEvent("delete", "Pod", "web-1", "default"));
    expect(await rig.entries()).toMatchObject([{ parentId: foreign.parentId }]);
  });

  it("follows a pod's identity when its label changes (label mode)", async () => {
    await rig.stop();
    await start(reconcileConfig({ podLabel: "spiffe-id" }));
    rig.cluster.putPod(podObject({ name: "p", node: "n1", labels: { "spiffe-id": "team/one" } }));
    await app.request(refEvent("add", "Pod", "p", "default"));
    rig.cluster.putPod(podObject({ name: "p", node: "n1", labels: { "spiffe-id": "team/two" } }));
    await app.request(refEvent("update", "Pod", "p", "default"));
    expect((await rig.entries()).map((e) => e.spiffeId)).toEqual([`spiffe://${TD}/team/two`]);
    rig.cluster.putPod(podObject({ name: "p", node: "n1" }));
    await app.request(refEvent("update", "Pod", "p", "default"));
    expect(await rig.entries()).toEqual([]);
  });

  it("keeps a node entry in step with its Node", async () => {
    rig.cluster.putNode({ metadata: { name: "n1" } });
    await app.request(refEvent("add", "Node", "n1"));
    expect(await rig.entries()).toMatchObject([
      {
        spiffeId: `${ROOT}/n1`,
        parentId: `spiffe://${TD}/spire/server`,
        selectors: [
          { type: "k8s_psat", value: "agent_node_name:n1" },
          { type: "k8s_psat", value: "cluster:c1" },
        ],
      },
    ]);
    rig.cluster.nodes.delete("n1");
    await app.request(refEvent("delete", "Node", "n1"));
    expect(await rig.entries()).toEqual([]);
  });

  it("adds and removes Service DNS names from Endpoints events (endpoints_source = endpoints)", async () => {
    await rig.stop();
    await start(reconcileConfig({ addPodDnsNames: true, endpointsSource: "endpoints" }));
    rig.cluster.putPod(podObject({ name: "web-1", node: "n1", podIP: "10.0.0.5" }));
    await app.request(refEvent("add", "Pod", "web-1", "default"));
    rig.cluster.putEndpoints({
      metadata: { name: "web", namespace: "default" },
      subsets: [
        { addresses: [{ ip: "10.0.0.5", targetRef: { kind: "Pod", name: "web-1", namespace: "default" } }] },
      ],
    });
    await app.request(refEvent("add", "Endpoints", "web", "default"));
    const [withService] = await rig.entries();
    expect(withService?.dnsNames[0]).toBe("10-0-0-5.default.pod.cluster.local");
    expect(withService?.dnsNames).toContain("web.default.svc");

    rig.cluster.endpoints.delete("default/web");
    await app.request(refEvent("delete", "Endpoints", "web", "default"));
    const [without] = await rig.entries();
    expect(without?.dnsNames).toEqual(["10-0-0-5.default.pod.cluster.local", "10-0-0-5.default.pod"]);
  });

  describe("EndpointSlice events (add_pod_dns_names)", () => {
    /** The DNS names of each pod's entry, by pod name. */
    const dnsNames = async () =>
      Object.fromEntries(
        (await rig.entries()).map((e) => [e.selectors[1]?.value.replace("pod-name:", ""), e.dnsNames]),
      );
    const withWeb = (ip: string, pod: string) => [
      `${ip.replaceAll(".", "-")}.default.pod.cluster.local`,
      `${ip.replaceAll(".", "-")}.default.pod`,
      `${ip.replaceAll(".", "-")}.web`,
      `${ip.replaceAll(".", "-")}.web.default`,
      `${ip.replaceAll(".", "-")}.web.default.svc`,
      `${ip.replaceAll(".", "-")}.web.default.svc.cluster.local`,
      "web",
      `${pod}.web`,
      `${pod}.web.default`,
      `${pod}.web.default.svc`,
      `${pod}.web.default.svc.cluster.local`,
      "web.default",
      "web.default.svc",
      "web.default.svc.cluster.local",
    ];
    const podOnly = (ip: string) => [
      `${ip.replaceAll(".", "-")}.default.pod.cluster.local`,
      `${ip.replaceAll(".", "-")}.default.pod`,
    ];
    const startWithPods = async (overrides: Partial<PlannerConfig> = {}) => {
      await rig.stop();
      await start(reconcileConfig({ addPodDnsNames: true, ...overrides }));
      for (const [name, ip] of [
        ["web-1", "10.0.0.5"],
        ["web-2", "10.0.0.6"],
        ["other", "10.0.0.7"],
      ] as const) {
        rig.cluster.putPod(podObject({ name, node: "n1", podIP: ip }));
        await app.request(refEvent("add", "Pod", name, "default"));
      }
    };

    it("gives the pods of all of a Service's slices its names, and takes them away when a pod leaves or the Service goes", async () => {
      await startWithPods();
      // Endpoints that disagree: with the default endpoints_source they are never read.
      rig.cluster.putEndpoints({
        metadata: { name: "web", namespace: "default" },
        subsets: [
          {
            addresses: [{ ip: "10.0.0.7", targetRef: { kind: "Pod", name: "other", namespace: "default" } }],
          },
        ],
      });
      rig.cluster.putEndpointSlice(
        endpointSlice("default", "web-abcde", "web", [sliceEndpoint("10.0.0.5", "default", "web-1")]),
      );
      rig.cluster.putEndpointSlice(
        endpointSlice("default", "web-fghij", "web", [sliceEndpoint("10.0.0.6", "default", "web-2")]),
      );
      expect((await app.request(refEvent("add", "EndpointSlice", "web-abcde", "default"))).status).toBe(204);
      expect(await dnsNames()).toEqual({
        "web-1": withWeb("10.0.0.5", "web-1"),
        "web-2": withWeb("10.0.0.6", "web-2"),
        other: podOnly("10.0.0.7"),
      });

      rig.cluster.putEndpointSlice(endpointSlice("default", "web-fghij", "web", []));
      expect((await app.request(refEvent("update", "EndpointSlice", "web-fghij", "default"))).status).toBe(
        204,
      );
      expect((await dnsNames())["web-2"]).toEqual(podOnly("10.0.0.6"));
      expect((await dnsNames())["web-1"]).toEqual(withWeb("10.0.0.5", "web-1"));

      // The Service is deleted: its slices go, and their delete events name only the slice.
      rig.cluster.endpointSlices.clear();
      expect((await app.request(refEvent("delete", "EndpointSlice", "web-abcde", "default"))).status).toBe(
        204,
      );
      expect(await dnsNames()).toEqual({
        "web-1": podOnly("10.0.0.5"),
        "web-2": podOnly("10.0.0.6"),
        other: podOnly("10.0.0.7"),
      });
    });

    it("acknowledges a slice of no Service (no kubernetes.io/service-name label), logs it at debug and changes nothing", async () => {
      await startWithPods();
      rig.cluster.putEndpointSlice(
        endpointSlice("default", "by-hand", undefined, [sliceEndpoint("10.0.0.5", "default", "web-1")]),
      );
      const before = await rig.entries();
      const { logger, records } = recordingLogger();
      const logged = createApp({ reconcile: { ...rig.context, logger }, logger, readiness: ready });
      expect((await logged.request(refEvent("add", "EndpointSlice", "by-hand", "default"))).status).toBe(204);
      expect(await rig.entries()).toEqual(before);
      expect(records.filter((r) => r.msg.includes("kubernetes.io/service-name"))).toMatchObject([
        { level: 20, namespace: "default", name: "by-hand" },
      ]);
    });

    it("reconciles the Service an Endpoints event names from its slices", async () => {
      await startWithPods();
      rig.cluster.putEndpointSlice(
        endpointSlice("default", "web-abcde", "web", [sliceEndpoint("10.0.0.5", "default", "web-1")]),
      );
      expect((await app.request(refEvent("add", "Endpoints", "web", "default"))).status).toBe(204);
      expect((await dnsNames())["web-1"]).toEqual(withWeb("10.0.0.5", "web-1"));
    });

    it("with endpoints_source = endpoints, reconciles a slice's Service from its Endpoints", async () => {
      await startWithPods({ endpointsSource: "endpoints" });
      rig.cluster.putEndpointSlice(
        endpointSlice("default", "web-abcde", "web", [sliceEndpoint("10.0.0.5", "default", "web-1")]),
      );
      rig.cluster.putEndpoints({
        metadata: { name: "web", namespace: "default" },
        subsets: [
          {
            addresses: [{ ip: "10.0.0.6", targetRef: { kind: "Pod", name: "web-2", namespace: "default" } }],
          },
        ],
      });
      expect((await app.request(refEvent("add", "EndpointSlice", "web-abcde", "default"))).status).toBe(204);
      expect((await dnsNames())["web-1"]).toEqual(podOnly("10.0.0.5"));
      expect((await dnsNames())["web-2"]).toEqual(withWeb("10.0.0.6", "web-2"));
    });
  });

  it("ignores pods in disabled namespaces", async () => {
    rig.cluster.putPod(podObject({ name: "dns", namespace: "kube-system", node: "n1" }));
    expect((await app.request(refEvent("add", "Pod", "dns", "kube-system"))).status).toBe(204);
    expect(await rig.entries()).toEqual([]);
  });

  it("answers 400 for a malformed event and 422 for one it does not handle", async () => {
    const plain = await app.request("/", {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(plain.status).toBe(400);
    expect(await plain.json()).toEqual({ error: expect.stringContaining("not a CloudEvent") });
    const secret = await app.request(refEvent("add", "Secret", "s", "default"));
    expect(secret.status).toBe(422);
    expect(await secret.json()).toEqual({ error: expect.stringContaining("is about a Secret") });
  });

  it("answers 503 when SPIRE is unavailable, so the event is retried, and converges on retry", async () => {
    rig.cluster.putPod(podObject({ name: "web-1", node: "n1" }));
    rig.spireServer.injectFault({ method: "ListEntries", code: Code.Unavailable, times: 2 });
    const failed = await app.request(refEvent("add", "Pod", "web-1", "default"));
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ retryable: true });
    expect((await app.request(refEvent("add", "Pod", "web-1", "default"))).status).toBe(204);
    expect(await rig.entries()).toHaveLength(1);
  });

  it("answers 500 naming the missing permission when RBAC forbids the read", async () => {
    rig.cluster.failWith = new KubeApiError(
      'forbidden: cannot get pods "web-1" in namespace "default": the registrar\'s service account needs RBAC permission "get" on "pods"',
      "forbidden",
      403,
    );
    const response = await app.request(refEvent("add", "Pod", "web-1", "default"));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: expect.stringContaining('needs RBAC permission "get" on "pods"'),
      retryable: false,
    });
  });

  it("serves /healthz and /readyz", async () => {
    expect((await app.request("/healthz")).status).toBe(200);
    const notReady = createApp({
      reconcile: rig.context,
      logger: silentLogger,
      readiness: async () => ({ ready: false, reason: "SPIRE server socket missing" }),
    });
    const response = await notReady.request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.text()).toBe("not ready: SPIRE server socket missing");
  });
});

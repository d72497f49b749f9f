/**
 * The watch of one collection against the fake API server: its lists are read page by page, each
 * page going into the watch cache (as the bridge wires it) as it arrives, and the cache serves a
 * collection only once its list is whole; a relist after 410 Gone replaces it at once.
 */
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WATCHED_RESOURCES } from "../../../lib/bridge/resources.js";
import type { ChangeAction, KubeObjectJson } from "../../../lib/bridge/to-cloudevent.js";
import { createWatchCache } from "../../../lib/bridge/watch-cache.js";
import { type ResourceWatch, watchResource } from "../../../lib/bridge/watch-resource.js";
import type { Pod } from "../../../lib/planner/k8s-objects.js";
import { createFakeCluster } from "../../fakes/cluster-reader.js";
import { type FakeKubeApi, startFakeKubeApi } from "../../fakes/kube-api-server.js";

const pod = (name: string, serviceAccountName = "default") => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "ns", uid: `uid-${name}`, managedFields: [{ manager: "kubelet" }] },
  spec: { nodeName: "n1", serviceAccountName, containers: [{ name: "c", image: "i" }] },
  status: { phase: "Running", podIP: "10.0.0.1" },
});

describe("watchResource", () => {
  let api: FakeKubeApi | undefined;
  let watch: ResourceWatch | undefined;
  afterEach(async () => {
    watch?.stop();
    await api?.stop();
  });

  /** Starts watching pods in pages of 2 into a watch cache; `seen` records pages, adds and ends of lists. */
  async function watchPods(emitInitial: boolean) {
    api = await startFakeKubeApi();
    api.pods = ["a", "b", "c", "d", "e"].map((name) => pod(name));
    const cache = createWatchCache();
    // Nothing in the API behind the cache: a read that reaches it finds no pod.
    const reader = cache.reader(createFakeCluster());
    const seen: string[] = [];
    /** What the reader answered for pod `a` at each page and at each list's end. */
    const readsOfA: Promise<Pod | undefined>[] = [];
    const started = watchResource({
      client: api.client,
      resource: WATCHED_RESOURCES.pods,
      logger: pino({ level: "silent" }),
      pageSize: 2,
      emitInitial,
      onList: () => {
        const list = cache.startList("pods");
        return {
          page(items) {
            list.page(items);
            seen.push(`page ${items.map((item) => item.metadata?.name).join(",")}`);
            readsOfA.push(reader.getPod("ns", "a"));
          },
          done() {
            list.done();
            seen.push("done");
            readsOfA.push(reader.getPod("ns", "a"));
          },
        };
      },
      onChange: (action: ChangeAction, object: KubeObjectJson) => {
        cache.apply("pods", action, object);
        seen.push(`${action} ${object.metadata?.name}`);
      },
    });
    watch = started;
    await started.ready;
    return { api, cache, reader, seen, readsOfA, watch: started };
  }

  it("lists page by page into the cache, which serves the pods only once the list is whole", async () => {
    const { seen, readsOfA, reader } = await watchPods(false);
    expect(seen).toEqual(["page a,b", "page c,d", "page e", "done"]);
    const names = (await Promise.all(readsOfA)).map((found) => found?.metadata?.name);
    expect(names).toEqual([undefined, undefined, undefined, "a"]);
    // The cache holds the planner's view of each pod, not the listed object.
    expect(await reader.getPod("ns", "e")).toEqual({
      metadata: { name: "e", namespace: "ns", uid: "uid-e", labels: undefined, annotations: undefined },
      spec: { nodeName: "n1", serviceAccountName: "default", hostname: undefined, subdomain: undefined },
      status: { phase: "Running", podIP: "10.0.0.1", podIPs: undefined },
    });
  });

  it("reports the first list's objects as adds page by page with emitInitial", async () => {
    const { seen } = await watchPods(true);
    expect(seen).toEqual([
      "page a,b",
      "add a",
      "add b",
      "page c,d",
      "add c",
      "add d",
      "page e",
      "add e",
      "done",
    ]);
  });

  it("relists after 410 Gone and replaces the cached pods at once when the relist is whole", async () => {
    const { api, seen, readsOfA, reader, watch } = await watchPods(true);
    await vi.waitFor(() => expect(api.openWatches()).toBe(1));
    api.pods = [pod("b", "relisted"), pod("c", "relisted"), pod("f", "relisted")];
    seen.length = 0;
    readsOfA.length = 0;
    api.sendWatchEvent("ERROR", { kind: "Status", code: 410, reason: "Expired" });
    await vi.waitFor(() => expect(watch.lists()).toBe(2));
    // No adds for a relist; `a` is served from the previous list until the relist is whole.
    expect(seen).toEqual(["page b,c", "page f", "done"]);
    const names = (await Promise.all(readsOfA)).map((found) => found?.metadata?.name);
    expect(names).toEqual(["a", "a", undefined]);
    expect((await reader.getPod("ns", "b"))?.spec?.serviceAccountName).toBe("relisted");
    expect((await reader.getPod("ns", "f"))?.spec?.serviceAccountName).toBe("relisted");
    expect(await reader.getPod("ns", "d")).toBeUndefined();
  });

  it("watches from the list's resourceVersion", async () => {
    const { api } = await watchPods(false);
    await vi.waitFor(() => expect(api.openWatches()).toBe(1));
    const watchRequest = api.requests.find((request) => request.includes("watch=true"));
    expect(watchRequest).toContain("resourceVersion=1");
  });
});

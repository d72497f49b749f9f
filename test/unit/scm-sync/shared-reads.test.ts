/** Concurrent cluster-spiffeid passes share their Kubernetes reads, each caller getting a read started after it asked. */
import { describe, expect, it, vi } from "vitest";
import type { ScmCluster } from "../../../lib/scm-sync/cluster.js";
import { freshRead, shareFreshReads } from "../../../lib/scm-sync/shared-reads.js";

/** A load whose calls are answered by hand, in order. */
function manualLoad() {
  const pending: Array<{ resolve: (value: number) => void; reject: (error: Error) => void }> = [];
  let calls = 0;
  return {
    load: () =>
      new Promise<number>((resolve, reject) => {
        calls++;
        pending.push({ resolve, reject });
      }),
    calls: () => calls,
    answer(value: number) {
      pending.shift()?.resolve(value);
    },
    fail(message: string) {
      pending.shift()?.reject(new Error(message));
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("fresh reads", () => {
  it("gives every caller a load started after its call, one for all who asked while one was in flight", async () => {
    const source = manualLoad();
    let idle = 0;
    const read = freshRead(source.load, () => idle++);
    const first = read.next();
    await tick();
    expect(source.calls()).toBe(1);
    // Asked while the first load runs: they may not use it (it may predate their event); they share the next.
    const second = read.next();
    const third = read.next();
    await tick();
    expect(source.calls()).toBe(1);
    source.answer(1);
    expect(await first).toBe(1);
    await tick();
    expect(source.calls()).toBe(2);
    source.answer(2);
    expect([await second, await third]).toEqual([2, 2]);
    await tick();
    expect(idle).toBe(1);
    const fourth = read.next();
    await tick();
    expect(source.calls()).toBe(3);
    source.answer(4);
    expect(await fourth).toBe(4);
  });

  it("hands a failure to the callers of that load only", async () => {
    const source = manualLoad();
    const read = freshRead(source.load);
    const first = read.next();
    const second = read.next();
    await tick();
    source.fail("gone");
    await expect(first).rejects.toThrow("gone");
    await tick();
    source.answer(7);
    expect(await second).toBe(7);
  });

  it("starts loads at least minSpacingMs apart, and at once after a quiet spell", async () => {
    vi.useFakeTimers();
    try {
      const source = manualLoad();
      const read = freshRead(source.load, undefined, 1000);
      const first = read.next();
      await vi.advanceTimersByTimeAsync(0);
      expect(source.calls()).toBe(1);
      source.answer(1);
      expect(await first).toBe(1);
      // Asked 100 ms after the first load started: they wait until a second after it started.
      await vi.advanceTimersByTimeAsync(100);
      const second = read.next();
      const third = read.next();
      await vi.advanceTimersByTimeAsync(899);
      expect(source.calls()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(source.calls()).toBe(2);
      source.answer(2);
      expect([await second, await third]).toEqual([2, 2]);
      await vi.advanceTimersByTimeAsync(1000);
      const fourth = read.next();
      await vi.advanceTimersByTimeAsync(0);
      expect(source.calls()).toBe(3);
      source.answer(3);
      expect(await fourth).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("shares reads of the same object, not of different ones, and never a status write", async () => {
    const calls: string[] = [];
    const answer = async <T>(call: string, value: T) => {
      calls.push(call);
      await tick();
      return value;
    };
    const cluster: ScmCluster = {
      listCustomResources: (resource) => answer(`list ${resource}`, []),
      getCustomResource: (resource, name) => answer(`get ${resource}/${name}`, undefined),
      listNamespaces: () => answer("list namespaces", []),
      getNamespace: (name) => answer(`get namespace ${name}`, { metadata: { name } }),
      listNodes: () => answer("list nodes", []),
      getNode: (name) => answer(`get node ${name}`, { metadata: { name } }),
      listPods: (scope = {}) => answer(`list pods ${scope.namespace}/${scope.nodeName}`, []),
      getPod: (namespace, name) => answer(`get pod ${namespace}/${name}`, undefined),
      listPodUids: () => answer("list pod uids", new Set<string>()),
      servicesByPodUid: (namespace) => answer(`services ${namespace}`, new Map()),
      writeStatus: async (resource, name) => {
        calls.push(`write ${resource}/${name}`);
      },
    };
    const shared = shareFreshReads(cluster);
    // One read in flight for each object; everything asked meanwhile waits for one more.
    await Promise.all([
      shared.getNode("node-1"),
      shared.getNode("node-1"),
      shared.getNode("node-1"),
      shared.getNode("node-2"),
      shared.listCustomResources("clusterspiffeids"),
      shared.listCustomResources("clusterspiffeids"),
      shared.listCustomResources("clusterstaticentries"),
      shared.listPodUids(),
      shared.listPodUids(),
      shared.servicesByPodUid(),
      shared.servicesByPodUid(""),
      shared.writeStatus("clusterspiffeids", "a", {}),
      shared.writeStatus("clusterspiffeids", "a", {}),
    ]);
    expect(calls.sort()).toEqual(
      [
        "get node node-1",
        "get node node-1",
        "get node node-2",
        "list clusterspiffeids",
        "list clusterspiffeids",
        "list clusterstaticentries",
        "list pod uids",
        "list pod uids",
        "services undefined",
        "services ",
        "write clusterspiffeids/a",
        "write clusterspiffeids/a",
      ].sort(),
    );
    expect(await shared.getNamespace("ns")).toEqual({ metadata: { name: "ns" } });
  });
});

/**
 * The resync Lease against a stand-in for the API server's Lease endpoints that enforces
 * resourceVersion preconditions: what is written (MicroTime strings), and who gets the lock.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KubeClient } from "../../../lib/k8s/kube-client.js";
import { createLeaseLock, microTime } from "../../../lib/k8s/lease.js";
import { plainHttpClient } from "../../fakes/kube-api-server.js";

const PATH = "/apis/coordination.k8s.io/v1/namespaces/spire/leases";
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

interface StoredLease {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseDurationSeconds?: number };
}

describe("lease lock", () => {
  let server: Server;
  let client: KubeClient;
  let stored: StoredLease | undefined;
  let writes: Array<{ method: string; url: string; body: StoredLease }>;
  let now: number;

  beforeEach(async () => {
    stored = undefined;
    writes = [];
    now = Date.parse("2026-06-01T00:00:00.123Z");
    server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      req.on("end", () => {
        const answer = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.method === "GET") return stored ? answer(200, stored) : answer(404, { kind: "Status" });
        const body = JSON.parse(text) as StoredLease;
        writes.push({ method: req.method ?? "", url: req.url ?? "", body });
        const stale =
          req.method === "POST"
            ? stored !== undefined
            : body.metadata.resourceVersion !== stored?.metadata.resourceVersion;
        if (stale) return answer(409, { kind: "Status", message: "conflict" });
        const version = String(Number(stored?.metadata.resourceVersion ?? "0") + 1);
        stored = { ...body, metadata: { ...body.metadata, resourceVersion: version } };
        answer(req.method === "POST" ? 201 : 200, stored);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    client = plainHttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterEach(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const lock = (identity: string) =>
    createLeaseLock(client, {
      namespace: "spire",
      name: "reg-leader-election",
      identity,
      leaseDurationSeconds: 60,
      now: () => now,
    });

  it("writes MicroTime strings with six fractional digits", () => {
    expect(microTime(Date.parse("2026-06-01T00:00:00.123Z"))).toBe("2026-06-01T00:00:00.123000Z");
  });

  it("creates the Lease, keeps others out until released or expired, and clears the holder on release", async () => {
    const first = await lock("a").tryAcquire();
    expect(first.acquired).toBe(true);
    expect(writes[0]).toMatchObject({
      method: "POST",
      url: PATH,
      body: {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "reg-leader-election", namespace: "spire" },
        spec: { holderIdentity: "a", leaseDurationSeconds: 60, leaseTransitions: 0 },
      },
    });
    expect(writes[0]?.body.spec.renewTime).toMatch(MICRO_TIME);
    expect(writes[0]?.body.spec.acquireTime).toMatch(MICRO_TIME);

    expect(await lock("b").tryAcquire()).toEqual({ acquired: false, holder: "a" });
    if (first.acquired) await first.release();
    expect(stored?.spec.holderIdentity).toBe("");
    const second = await lock("b").tryAcquire();
    expect(second.acquired).toBe(true);

    // "b" does not release in time; once its lease has expired "c" takes over.
    now += 61_000;
    const third = await lock("c").tryAcquire();
    expect(third.acquired).toBe(true);
    expect(stored?.spec.holderIdentity).toBe("c");
    expect(writes.at(-1)).toMatchObject({ method: "PUT", url: `${PATH}/reg-leader-election` });
    // A late release by "b" loses the race (stale resourceVersion) and leaves "c" holding the lease.
    if (second.acquired) await second.release();
    expect(stored?.spec.holderIdentity).toBe("c");
    if (third.acquired) await third.release();
  });
});

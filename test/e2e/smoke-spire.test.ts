import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { peerBinary, skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs, runCommand } from "./harness/process.js";
import {
  fetchX509Svid,
  type SpireAgent,
  type SpireServer,
  startSpireAgent,
  startSpireServer,
} from "./harness/spire.js";

/** The subset of `entry show -output json` (protojson, proto field names) the test reads. */
interface ShownEntry {
  id: string;
  spiffe_id: { trust_domain: string; path: string };
  parent_id: { trust_domain: string; path: string };
  selectors: { type: string; value: string }[];
  created_at: unknown;
  revision_number: unknown;
  x509_svid_ttl: unknown;
}

async function showEntries(server: SpireServer, filter: string[]): Promise<ShownEntry[]> {
  const result = await server.cli(["entry", "show", "-output", "json", ...filter]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { entries?: ShownEntry[] }).entries ?? [];
}

describe.skipIf(skipWithoutPeers(["spire-server", "spire-agent"]))("spire-server + spire-agent smoke", () => {
  let server: SpireServer | undefined;
  let agent: SpireAgent | undefined;
  const spire = (): { server: SpireServer; agent: SpireAgent } => {
    if (server === undefined || agent === undefined) throw new Error("SPIRE did not start (see beforeAll)");
    return { server, agent };
  };

  beforeAll(async () => {
    server = await startSpireServer();
    agent = await startSpireAgent(server);
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(printPeerLogs);
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it("round-trips an entry through entry create and entry show -output json", async () => {
    const { server } = spire();
    const created = await server.cli([
      "entry",
      "create",
      "-spiffeID",
      "spiffe://example.org/smoke/db",
      "-parentID",
      "spiffe://example.org/smoke/node",
      "-selector",
      "unix:uid:1000",
    ]);
    expect(created.code, created.stderr).toBe(0);

    const entries = await showEntries(server, ["-spiffeID", "spiffe://example.org/smoke/db"]);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry?.spiffe_id).toEqual({ trust_domain: "example.org", path: "/smoke/db" });
    expect(entry?.parent_id).toEqual({ trust_domain: "example.org", path: "/smoke/node" });
    expect(entry?.selectors).toEqual([{ type: "unix", value: "uid:1000" }]);
    // protojson writes int64 as strings and int32 as numbers
    expect(entry?.created_at).toMatch(/^\d+$/);
    expect(typeof entry?.revision_number).toBe("string");
    expect(typeof entry?.x509_svid_ttl).toBe("number");
  });

  it("reports the agent healthy", async () => {
    const { agent } = spire();
    const health = await runCommand(peerBinary("spire-agent"), [
      "healthcheck",
      "-socketPath",
      agent.socketPath,
    ]);
    expect(health.code, health.stderr).toBe(0);
  });

  it("issues an X509-SVID through the Workload API for an entry parented to the agent", async () => {
    const { server, agent } = spire();
    const uid = process.getuid?.();
    if (uid === undefined) throw new Error("process.getuid is unavailable on this platform");
    const workloadId = "spiffe://example.org/smoke/workload";
    const created = await server.cli([
      "entry",
      "create",
      "-spiffeID",
      workloadId,
      "-parentID",
      agent.agentSpiffeId,
      "-selector",
      `unix:uid:${uid}`,
    ]);
    expect(created.code, created.stderr).toBe(0);

    const outDir = await mkdtemp("/tmp/e2e-svid-");
    try {
      const svid = await fetchX509Svid(agent, outDir);
      const cert = new X509Certificate(await readFile(svid.certPath));
      expect(cert.subjectAltName).toBe(`URI:${workloadId}`);
      const bundle = new X509Certificate(await readFile(svid.bundlePath));
      expect(cert.verify(bundle.publicKey)).toBe(true);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it("keeps its entries across a restart on the same data dir", async () => {
    const { server } = spire();
    const before = await showEntries(server, []);
    expect(before.length).toBeGreaterThan(0);
    await server.restart();
    const after = await showEntries(server, []);
    expect(after.map((e) => e.id).sort()).toEqual(before.map((e) => e.id).sort());
  });
});

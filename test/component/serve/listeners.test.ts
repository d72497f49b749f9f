import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServing } from "../../../bin/serve/start-serving.js";
import { createRuntime } from "../../../lib/runtime/runtime.js";

describe("registrar serve", () => {
  const dir = mkdtempSync(join(tmpdir(), "serve-listeners-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("listens only on --listen (with the default metrics_addr, no extra listener on :8080)", async () => {
    const logPath = join(dir, "serve.log");
    const configPath = join(dir, "serve.conf");
    // metrics_addr is left at its default (":8080"): /metrics goes to the --listen listener.
    writeFileSync(
      configPath,
      `mode = "reconcile"\ntrust_domain = "example.org"\ncluster = "c"\nserver_socket_path = "${join(dir, "api.sock")}"\nlog_path = "${logPath}"\n`,
    );
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfigPath,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
        "current-context": "c",
      }),
    );
    const runtime = await createRuntime({
      functionName: "serve",
      configPath,
      env: {},
      kubeconfigPath,
      runsResync: true,
    });
    try {
      const serving = await startServing({
        runtime,
        env: {},
        listen: { hostname: "127.0.0.1", port: 0 },
        watch: false,
        resyncIntervalMs: 0,
      });
      try {
        const scraped = await (await fetch(`${serving.url}/metrics`)).text();
        expect(scraped).toContain("registrar_last_successful_resync_timestamp_seconds");
      } finally {
        await serving.stop();
      }
    } finally {
      runtime.close();
      runtime.logger.flush();
    }
    const listening = readFileSync(logPath, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; port?: number })
      .filter((record) => record.msg.endsWith(" listening"));
    expect(listening.map((record) => record.msg)).toEqual(["registrar serve listening"]);
  });
});

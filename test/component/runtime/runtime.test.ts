import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../../lib/runtime/runtime.js";

describe("createRuntime", () => {
  const dir = mkdtempSync(join(tmpdir(), "runtime-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("starts without Kubernetes configuration, and names it when a function first needs it", async () => {
    const configPath = join(dir, "webhook.conf.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        mode: "webhook",
        trust_domain: "example.org",
        cluster: "c1",
        server_socket_path: join(dir, "no-such.sock"),
        log_path: join(dir, "registrar.log"),
      }),
    );
    const kubeconfigPath = join(dir, "missing.kubeconfig");
    // pod-admission talks only to SPIRE: the runtime must not need a kubeconfig to start.
    const runtime = await createRuntime({
      functionName: "pod-admission",
      configPath,
      env: {},
      kubeconfigPath,
    });
    try {
      expect(runtime.config.mode).toBe("webhook");
      expect(() => runtime.cluster).toThrow(/missing\.kubeconfig/);
    } finally {
      runtime.close();
    }
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime, startupMessages } from "../../../lib/runtime/runtime.js";
import { startFakeSpireServer } from "../../fakes/spire-entry-server.js";

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

  it.each([
    ["example.org", { ready: true }],
    [
      "other.test",
      {
        ready: false,
        reason:
          'SPIRE server serves trust domain "example.org", but trust_domain is "other.test": check trust_domain and the server address or socket',
      },
    ],
  ])("is ready only when the server's trust domain is trust_domain (%s)", async (trustDomain, expected) => {
    const server = await startFakeSpireServer({ trustDomain: "example.org" });
    const configPath = join(dir, `${trustDomain}.conf.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        mode: "reconcile",
        trust_domain: trustDomain,
        cluster: "c1",
        server_socket_path: server.socketPath,
        log_path: join(dir, "registrar.log"),
      }),
    );
    const runtime = await createRuntime({ functionName: "resync", configPath, env: {} });
    try {
      expect(await runtime.readiness()).toEqual(expected);
    } finally {
      runtime.close();
      await server.stop();
    }
  });
});

describe("a function's start-up with a config nested too deep (hardening defect 4)", () => {
  const dir = mkdtempSync(join(tmpdir(), "runtime-deep-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["HCL", `x = ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`, ' (in "x")'],
    ["JSON", `{"x": ${"[".repeat(300)}${"]".repeat(300)}}`, ""],
  ])("fails with one message naming the file and line (%s)", async (_format, text, key) => {
    const configPath = join(dir, "deep.conf");
    writeFileSync(configPath, text);
    const error = await createRuntime({ functionName: "k8s-events", configPath, env: {} }).catch(
      (thrown: unknown) => thrown,
    );
    expect(startupMessages(error)).toEqual([
      `${configPath}: error parsing common config: unable to decode configuration: line 1: lists, objects and blocks are nested deeper than 64 levels${key}`,
    ]);
  });
});

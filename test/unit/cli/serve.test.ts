import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../../bin/main.js";
import { freePort } from "../../e2e/harness/ports.js";

const directory = mkdtempSync(join(tmpdir(), "registrar-serve-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

async function serve(args: string[]) {
  let stderr = "";
  const code = await main(["serve", "--listen", "127.0.0.1:0", ...args], {
    stdout: { write: () => true },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
  });
  return { code, stderr };
}

describe("registrar serve start-up errors", () => {
  const base = `trust_domain = "example.org"\ncluster = "c"\nserver_socket_path = "${directory}/api.sock"\nlog_path = "${directory}/serve.log"\n`;
  const missingKubeconfig = join(directory, "missing.kubeconfig");

  it("crd mode without a namespace says how to give one (the downward API, or --namespace)", async () => {
    const config = file("crd.conf", `mode = "crd"\n${base}`);
    const result = await serve(["-config", config, "--kubeconfig", missingKubeconfig]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("set MY_POD_NAMESPACE from the downward API");
    expect(result.stderr).toContain("pass registrar serve --namespace NS");
  });

  it("crd mode with --namespace gets past the namespace (to the missing kubeconfig)", async () => {
    const config = file("crd-ns.conf", `mode = "crd"\n${base}`);
    const result = await serve([
      "-config",
      config,
      "--kubeconfig",
      missingKubeconfig,
      "--namespace",
      "spire",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain("MY_POD_NAMESPACE");
    expect(result.stderr).toContain(`cannot read kubeconfig ${missingKubeconfig}`);
  });

  it("--resync-interval 0 (only the start-up resync) is taken; a non-duration is a usage error", async () => {
    const config = file("reconcile.conf", `mode = "reconcile"\n${base}`);
    const args = ["-config", config, "--kubeconfig", missingKubeconfig, "--watch", "--resync-interval"];
    const zero = await serve([...args, "0"]);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain(`cannot read kubeconfig ${missingKubeconfig}`);
    const soon = await serve([...args, "soon"]);
    expect(soon.code).toBe(2);
    expect(soon.stderr).toContain('--resync-interval "soon": want a duration such as 5m');
  });

  it("webhook mode without certificates names cert_path and what makes the files", async () => {
    const config = file("webhook.conf", `mode = "webhook"\naddr = "127.0.0.1:${await freePort()}"\n${base}`);
    // A kubeconfig that is never dialled: serve fails on the certificates first.
    const kubeconfig = file(
      "kubeconfig",
      JSON.stringify({
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
        "current-context": "c",
      }),
    );
    const result = await serve(["-config", config, "--kubeconfig", kubeconfig]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unable to load server keypair: cert_path = "cert.pem": ENOENT');
    expect(result.stderr).toContain("registrar generate-config makes these files");
  });
});

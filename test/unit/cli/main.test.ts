import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "./run-main.js";

const directory = mkdtempSync(join(tmpdir(), "registrar-cli-"));
function configFile(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

const MINIMAL =
  'trust_domain = "domain.test"\ncluster = "CLUSTER"\nserver_socket_path = "/run/spire/sockets/registration.sock"\n';
const LINE_7_UNTERMINATED = `${MINIMAL}mode = "reconcile"\nlog_level = "debug"\n# comment\ncluster = "a\n`;
const packageVersion = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

describe("registrar check-config", () => {
  it.each([
    ["-config", (path: string) => ["-config", path]],
    ["--config", (path: string) => ["--config", path]],
    ["-config=", (path: string) => [`-config=${path}`]],
    ["--config=", (path: string) => [`--config=${path}`]],
  ])("prints the effective configuration for %s", async (_form, flags) => {
    const result = await runMain(["check-config", ...flags(configFile("ok.conf", MINIMAL))]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toMatchObject({
      mode: "webhook",
      server_address: "unix:///run/spire/sockets/registration.sock",
      disabled_namespaces: ["kube-system", "kube-public"],
      webhook_port: 9443,
    });
  });

  it("prints warnings on stderr and still succeeds", async () => {
    const path = configFile("warn.conf", `${MINIMAL}add_svc_dns_names = true\n`);
    const result = await runMain(["check-config", "-config", path]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `warning: ${path}: unknown key "add_svc_dns_names" (line 4); did you mean "add_svc_dns_name"?\n`,
    );
  });

  it("prints each error on stderr and exits 1", async () => {
    const path = configFile("bad.conf", 'mode = "x"\n');
    const result = await runMain(["check-config", "-config", path]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      `${path}: error parsing common config: server_address or server_socket_path must be specified`,
      `${path}: error parsing common config: trust_domain must be specified`,
      `${path}: error parsing common config: cluster must be specified`,
      `${path}: error parsing common config: invalid mode "x", valid values are crd, webhook, reconcile and cluster-spiffeid (line 1)`,
    ]);
  });

  it.each([
    [
      "HCL",
      300,
      (depth: number) => `${MINIMAL}x = ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
      4,
      ' (in "x")',
    ],
    [
      "HCL",
      100_000,
      (depth: number) => `${MINIMAL}x = ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
      4,
      ' (in "x")',
    ],
    ["JSON", 300, (depth: number) => `{\n"x": ${"[".repeat(depth)}${"]".repeat(depth)}\n}\n`, 2, ""],
    ["JSON", 100_000, (depth: number) => `{\n"x": ${"[".repeat(depth)}${"]".repeat(depth)}\n}\n`, 2, ""],
  ])(
    "refuses %s nested %i levels deep with one line naming the file and line, no stack (hardening defect 4)",
    async (format, depth, text, line, key) => {
      const path = configFile(`deep-${format}-${depth}.conf`, text(depth));
      const result = await runMain(["check-config", "-config", path]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `${path}: error parsing common config: unable to decode configuration: line ${line}: lists, objects and blocks are nested deeper than 64 levels${key}\n`,
      );
    },
  );

  it("names the line of an unterminated string (line 7)", async () => {
    const path = configFile("line7.conf", LINE_7_UNTERMINATED);
    const result = await runMain(["check-config", "-config", path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${path}: error parsing common config: unable to decode configuration: line 7: unterminated string (in "cluster")\n`,
    );
  });

  it("defaults to k8s-workload-registrar.conf in the working directory", async () => {
    const result = await runMain(["check-config"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^k8s-workload-registrar\.conf: unable to load configuration: /);
  });

  it("reads REGISTRAR_CONFIG when -config is not given, as the functions do; -config wins", async () => {
    const fromEnv = configFile("env.conf", MINIMAL);
    const result = await runMain(["check-config"], { REGISTRAR_CONFIG: fromEnv });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ cluster: "CLUSTER" });
    const flagged = await runMain(["check-config", "-config", join(directory, "missing.conf")], {
      REGISTRAR_CONFIG: fromEnv,
    });
    expect(flagged.code).toBe(1);
    expect(flagged.stderr).toContain("missing.conf");
  });

  it("prints a startup probe on stderr when asked", async () => {
    const result = await runMain(["check-config", "-config", configFile("probe.conf", MINIMAL)], {
      REGISTRAR_STARTUP_PROBE: "1",
    });
    expect(JSON.parse(result.stderr)).toEqual({ loadedMs: expect.any(Number), rssBytes: expect.any(Number) });
  });

  it.each([
    [["check-config", "-bogus"], "unknown flag: -bogus"],
    [["check-config", "-config"], "flag needs an argument: -config"],
    [["check-config", "extra"], "unexpected argument: extra"],
  ])("rejects %j as a usage error", async (argv, reason) => {
    const result = await runMain(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `registrar check-config: ${reason}\nusage: registrar <command> [flags]\n`,
    );
  });
});

describe("registrar", () => {
  it.each([["--help"], ["-help"], ["-h"], ["help"]])("prints help for %s", async (word) => {
    const result = await runMain([word]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: registrar <command> \[flags\]\n/);
    expect(result.stdout).toContain("check-config");
  });

  it("prints a command's usage for help <command>", async () => {
    const result = await runMain(["help", "check-config"]);
    expect(result.stdout).toMatch(/^usage: registrar check-config \[-config FILE\]/);
  });

  it.each([["version"], ["-version"], ["--version"]])("prints the package version for %s", async (word) => {
    expect(await runMain([word])).toEqual({ code: 0, stdout: `${packageVersion}\n`, stderr: "" });
  });

  it.each([
    [["serve-forever"], "registrar: unknown command: serve-forever"],
    [["--bogus"], "registrar: unknown flag: --bogus"],
    [[], "usage: registrar <command> [flags]"],
  ])("exits 2 for %j", async (argv, message) => {
    const result = await runMain(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("usage: registrar <command> [flags]");
  });
});

describe.runIf(existsSync("dist/bin/registrar.js"))("the built CLI", () => {
  it("refuses HCL and JSON nested 100,000 deep with one line on stderr, no stack (hardening defect 4)", () => {
    const depth = 100_000;
    for (const [name, text, suffix] of [
      ["deep.conf", `${MINIMAL}x = ${"[".repeat(depth)}${"]".repeat(depth)}\n`, ' (in "x")'],
      ["deep.json", `{\n"x": ${"[".repeat(depth)}${"]".repeat(depth)}\n}\n`, ""],
    ] as const) {
      const path = configFile(`built-${name}`, text);
      const child = spawnSync(process.execPath, ["dist/bin/registrar.js", "check-config", "-config", path], {
        encoding: "utf8",
      });
      const line = name.endsWith(".json") ? 2 : 4;
      expect({ status: child.status, stderr: child.stderr }).toEqual({
        status: 1,
        stderr: `${path}: error parsing common config: unable to decode configuration: line ${line}: lists, objects and blocks are nested deeper than 64 levels${suffix}\n`,
      });
    }
  });

  it("reports the line-7 unterminated string and exits 1", () => {
    const path = configFile("built-line7.conf", LINE_7_UNTERMINATED);
    const child = spawnSync(process.execPath, ["dist/bin/registrar.js", "check-config", "-config", path], {
      encoding: "utf8",
    });
    expect({ status: child.status, stderr: child.stderr }).toEqual({
      status: 1,
      stderr: `${path}: error parsing common config: unable to decode configuration: line 7: unterminated string (in "cluster")\n`,
    });
  });
});

describe.runIf(existsSync("dist/bundle/bin/registrar.js"))(
  "the bundled CLI and functions (what the image ships)",
  () => {
    it("run from a copy outside the repository, with no node_modules to fall back on", () => {
      const copy = mkdtempSync(join(tmpdir(), "bundle-"));
      try {
        cpSync("dist/bundle", copy, { recursive: true });
        const version = spawnSync(process.execPath, [join(copy, "bin", "registrar.js"), "version"], {
          encoding: "utf8",
        });
        expect({ status: version.status, stdout: version.stdout }).toEqual({
          status: 0,
          stdout: `${JSON.parse(readFileSync("package.json", "utf8")).version}\n`,
        });
        const checked = spawnSync(
          process.execPath,
          [
            join(copy, "bin", "registrar.js"),
            "check-config",
            "-config",
            "knative/overlays/reconcile/registrar.conf",
          ],
          { encoding: "utf8" },
        );
        expect(checked.status).toBe(0);
        expect(JSON.parse(checked.stdout)).toMatchObject({ mode: "reconcile", trust_domain: "example.org" });
        // A function's bundle loads completely: with a config it cannot use, it explains and exits 1.
        const fn = spawnSync(
          process.execPath,
          [join(copy, "functions", "resync", "index.js"), "-config", "/nonexistent.conf"],
          {
            encoding: "utf8",
          },
        );
        expect(fn.status).toBe(1);
        expect(fn.stderr).toContain("/nonexistent.conf");
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    });
  },
);

/**
 * Fuzz: the configuration reader. Random and mutated HCL and JSON texts always give a result (a config,
 * or errors), never an exception; every message is one line naming the file; `check-config` exits 0 or 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { main } from "../../../bin/main.js";
import { parseConfig } from "../../../lib/config/parse-config.js";
import { fuzz, mixedString, mutated } from "./support.js";

const PATH = "fuzz.conf";

const HCL = `mode = "crd"
trust_domain = "example.org"
cluster = "c1"
server_socket_path = "/run/spire/api.sock"
spire_timeout = "5s"
addr = ":8443"
disabled_namespaces = ["kube-system", "kube-public"]
context {
  region = "eu"
}
dns_name_templates = ["{{.Pod.Name}}"]
identity_template = "region/{{.Context.region}}/{{.Pod.Name}}"
/* a comment */ webhook_port = 9443
description = <<EOT
text
EOT
`;

const JSON_FORM = JSON.stringify(
  {
    mode: "reconcile",
    trust_domain: "example.org",
    cluster: "c1",
    server_address: "spire:8081",
    agent_socket_path: "/run/spire/agent.sock",
    metrics_addr: "0",
    context: [{ region: "eu" }],
    entry_batch_size: 50,
  },
  null,
  2,
);

const HCL_WORDS = [
  "a",
  "=",
  " ",
  "\n",
  '"',
  "{",
  "}",
  "[",
  "]",
  ",",
  "1",
  "true",
  "null",
  "#",
  "<<X",
  "X",
  "\\",
  "${",
  "mode",
  "trust_domain",
];

/** The result's messages are one line each and name the file. */
function checkMessages(text: string): void {
  const result = parseConfig(text, PATH);
  const messages = result.ok ? result.value.warnings : result.error;
  for (const message of messages) {
    expect(message.startsWith(`${PATH}: `)).toBe(true);
    expect(message).not.toMatch(/[\r\n]/);
  }
}

describe("fuzz: the configuration reader", () => {
  it("reads mutated HCL into a config or one-line errors naming the file", async () => {
    await fuzz(
      fc.property(mutated(HCL, 6), (text) => checkMessages(text)),
      600,
    );
  });

  it("reads mutated JSON into a config or one-line errors naming the file", async () => {
    await fuzz(
      fc.property(mutated(JSON_FORM, 6), (text) => checkMessages(text)),
      400,
    );
  });

  it("reads random HCL-like text into a config or one-line errors naming the file", async () => {
    await fuzz(
      fc.property(mixedString(HCL_WORDS, 60), (text) => checkMessages(text)),
      600,
    );
  });

  it("makes check-config exit 0 or 1 with one line per message and no stack", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fuzz-config-"));
    const path = join(dir, "registrar.conf");
    try {
      await fuzz(
        fc.asyncProperty(fc.oneof(mutated(HCL, 4), mutated(JSON_FORM, 4)), async (text) => {
          writeFileSync(path, text);
          let stderr = "";
          const code = await main(["check-config", "-config", path], {
            stdout: { write: () => undefined },
            stderr: {
              write: (chunk: string) => {
                stderr += chunk;
              },
            },
            env: {},
          });
          expect([0, 1]).toContain(code);
          expect(stderr).not.toMatch(/\n\s+at |RangeError|Maximum call stack/);
          for (const line of stderr.split("\n").filter(Boolean)) expect(line).toMatch(/^(warning: )?\//);
        }),
        200,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

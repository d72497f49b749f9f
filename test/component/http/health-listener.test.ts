import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../../../lib/config/config.js";
import { parseConfig } from "../../../lib/config/parse-config.js";
import { serveHealthListener } from "../../../lib/http/health-listener.js";
import type { ServedApp } from "../../../lib/http/serve.js";
import { createMetrics } from "../../../lib/metrics/metrics.js";
import { freePort } from "../../e2e/harness/ports.js";

function config(extra: string): Config {
  const result = parseConfig(
    `trust_domain = "example.org"\ncluster = "c"\nserver_socket_path = "/s"\n${extra}`,
    "t.conf",
  );
  if (!result.ok) throw new Error(result.error.join("\n"));
  return result.value.config;
}

describe("the admission webhooks' plain-HTTP health and metrics listener", () => {
  const served: ServedApp[] = [];
  afterEach(async () => {
    for (const server of served.splice(0)) await server.close();
  });
  const logger = pino({ level: "silent" });
  const readiness = async () => ({ ready: false as const, reason: "SPIRE server socket /s does not exist" });

  it.each([
    ["webhook", (port: number) => `mode = "webhook"\nmetrics_addr = "127.0.0.1:${port}"`],
    ["crd", (port: number) => `mode = "crd"\nmetrics_bind_addr = "127.0.0.1:${port}"`],
  ])(
    "serves /healthz, /readyz and /metrics over plain HTTP on the mode's metrics address (%s)",
    async (_, configText) => {
      const text = configText(await freePort());
      const metrics = createMetrics({ resync: false });
      metrics.admission("CREATE", "allowed");
      served.push(
        ...(await serveHealthListener({ config: config(text), logger, readiness, metrics }, "test")),
      );
      expect(served).toHaveLength(1);
      const base = `http://127.0.0.1:${served[0]?.port}`;
      expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok");
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toBe("not ready: SPIRE server socket /s does not exist");
      const scraped = await (await fetch(`${base}/metrics`)).text();
      expect(scraped).toContain('registrar_admission_reviews_total{operation="CREATE",outcome="allowed"} 1');
      expect(scraped).not.toContain("registrar_last_successful_resync_timestamp_seconds");
    },
  );

  it('opens nothing when the address is "0"', async () => {
    const off = config('mode = "webhook"\nmetrics_addr = "0"');
    expect(await serveHealthListener({ config: off, logger, readiness }, "test")).toEqual([]);
  });
});

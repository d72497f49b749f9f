/**
 * The plain-HTTP listener of the admission webhooks (pod-admission, spiffeid-validation): their
 * own port speaks TLS (pod-admission's also demands a client certificate signed by cacert.pem),
 * which neither the kubelet's probes nor Prometheus can use. This listener serves `/healthz`,
 * `/readyz` and `/metrics` on `metrics_addr` (crd mode: `metrics_bind_addr`; default `:8080`);
 * `"0"` turns it off, and then only the TLS port answers health checks.
 */
import { Hono } from "hono";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { Metrics } from "../metrics/metrics.js";
import { addMetricsRoute, metricsEnabled } from "../metrics/routes.js";
import { addHealthRoutes, type ReadinessCheck } from "./health.js";
import { type ServedApp, serveApp } from "./serve.js";
import { parseAddr } from "./serve-tls.js";

export interface HealthListenerDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
}

/** The address of the health and metrics listener, or undefined when it is off ("0"). */
export function healthAddress(config: Config): string | undefined {
  const address = config.mode === "crd" ? config.metricsBindAddr : config.metricsAddr;
  return metricsEnabled(address) ? address : undefined;
}

/** Starts the listener (none when its address is "0"). */
export async function serveHealthListener(deps: HealthListenerDeps, name: string): Promise<ServedApp[]> {
  const address = healthAddress(deps.config);
  if (address === undefined) return [];
  const { host, port } = parseAddr(address);
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);
  return [
    await serveApp(app, {
      port,
      ...(host ? { hostname: host } : {}),
      logger: deps.logger,
      name: `${name} health and metrics`,
    }),
  ];
}

import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../../functions/k8s-events/app.js";
import { createMetrics, type Metrics } from "../../../lib/metrics/metrics.js";
import { createSpireClient } from "../../../lib/spire/client.js";
import { instrumentTransport } from "../../../lib/spire/instrument.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { podObject, type Rig, reconcileConfig, refEvent, silentLogger, startRig } from "./harness.js";

describe("metrics of k8s-events", () => {
  let rig: Rig;
  let metrics: Metrics;
  beforeEach(async () => {
    rig = await startRig(reconcileConfig());
    metrics = createMetrics();
  });
  afterEach(() => rig.stop());

  it("counts events by outcome, entry writes, and SPIRE RPCs by method and code", async () => {
    const transport = instrumentTransport(
      createUnixSocketTransport(rig.spireServer.socketPath),
      metrics.spireRpc,
    );
    const spire = createSpireClient({ transport, logger: silentLogger, retry: { maxAttempts: 1 } });
    const app = createApp({
      reconcile: { ...rig.context, spire, metrics },
      logger: silentLogger,
      readiness: async () => ({ ready: true }),
      metrics,
    });
    rig.cluster.putPod(podObject({ name: "web-1", node: "n1" }));
    await app.request(refEvent("add", "Pod", "web-1", "default"));
    await app.request(refEvent("add", "Secret", "s", "default"));
    // Labels come from closed sets: a made-up type is counted as "other", not as a new series.
    const madeUp = refEvent("add", "Pod", "web-1", "default");
    madeUp.headers.set("ce-type", `com.example.${"x".repeat(1000)}`);
    await app.request(madeUp);
    // A change that derives another entry, so the update needs SPIRE (an unchanged pod would not).
    rig.cluster.putPod(podObject({ name: "web-1", node: "n1", serviceAccount: "api" }));
    rig.spireServer.injectFault({ method: "ListEntries", code: Code.Unavailable });
    await app.request(refEvent("update", "Pod", "web-1", "default"));
    spire.close();

    const text = await (await app.request("/metrics")).text();
    expect(text).toContain(
      'registrar_events_total{kind="Pod",type="dev.knative.apiserver.ref.add",outcome="done"} 1',
    );
    expect(text).toContain(
      'registrar_events_total{kind="other",type="dev.knative.apiserver.ref.add",outcome="foreign"} 1',
    );
    expect(text).toContain(
      'registrar_events_total{kind="Pod",type="dev.knative.apiserver.ref.update",outcome="retry"} 1',
    );
    expect(text).toContain('registrar_events_total{kind="Pod",type="other",outcome="foreign"} 1');
    expect(text).not.toContain("com.example");
    expect(text).toContain('registrar_entries_total{action="created"} 1');
    expect(text).toMatch(
      /registrar_spire_rpc_duration_seconds_count\{method="BatchCreateEntry",code="OK"\} 1/,
    );
    expect(text).toMatch(
      /registrar_spire_rpc_duration_seconds_count\{method="ListEntries",code="Unavailable"\} 1/,
    );
  });
});

import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../../functions/pod-admission/app.js";
import { webhookPodEntryId } from "../../../lib/admission/pod-entry-id.js";
import { createMetrics } from "../../../lib/metrics/metrics.js";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import type { PlannerConfig } from "../../../lib/planner/planner-config.js";
import { createSpireClient } from "../../../lib/spire/client.js";
import { entrySpecToProto } from "../../../lib/spire/convert.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { podObject, type Rig, reconcileConfig, silentLogger, startRig, TD } from "./harness.js";

const ALIAS = `spiffe://${TD}/k8s-workload-registrar/c1/node`;
const ready = async () => ({ ready: true as const });

function webhookConfig(overrides: Partial<PlannerConfig> = {}): PlannerConfig {
  return reconcileConfig({ mode: "webhook", ...overrides });
}

type Operation = "CREATE" | "DELETE" | "UPDATE";
function review(
  operation: Operation,
  pod: ReturnType<typeof podObject>,
  extra: { apiVersion?: string; kind?: object; options?: object; dryRun?: boolean; oldObject?: object } = {},
) {
  return {
    apiVersion: extra.apiVersion ?? "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `uid-${operation}-${pod.metadata.name}`,
      kind: extra.kind ?? { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      operation,
      ...(operation === "DELETE" ? { oldObject: extra.oldObject ?? pod } : { object: pod }),
      ...(extra.options ? { options: extra.options } : {}),
      ...(extra.dryRun ? { dryRun: true } : {}),
    },
  };
}

/** An entry for pod `pod` of namespace default, as the tests seed it. */
function podEntrySpec(spiffeId: string, parentId: string, pod: string): EntrySpec {
  return {
    spiffeId,
    parentId,
    selectors: [
      { type: "k8s", value: "ns:default" },
      { type: "k8s", value: `pod-name:${pod}` },
    ],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
  };
}

function post(body: unknown, contentType = "application/json") {
  return new Request("https://webhook/validate", {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("pod-admission (webhook mode)", () => {
  let rig: Rig;
  let failClosed = false;
  let app: ReturnType<typeof createApp>;
  const start = async (config: PlannerConfig = webhookConfig()) => {
    rig = await startRig(config);
    app = createApp({
      config: {
        ...config,
        get webhookFailClosed() {
          return failClosed;
        },
      },
      spire: rig.spire,
      isOwned: rig.context.isOwned,
      logger: silentLogger,
      readiness: ready,
    });
  };
  beforeEach(async () => {
    failClosed = false;
    await start();
  });
  afterEach(() => rig.stop());

  it.each(["admission.k8s.io/v1", "admission.k8s.io/v1beta1"])(
    "registers a created pod and answers in %s",
    async (apiVersion) => {
      const pod = podObject({ name: "web-1", serviceAccount: "web" });
      const response = await app.request(post(review("CREATE", pod, { apiVersion })));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        apiVersion,
        kind: "AdmissionReview",
        response: { uid: "uid-CREATE-web-1", allowed: true },
      });
      expect(await rig.entries()).toMatchObject([
        {
          spiffeId: `spiffe://${TD}/ns/default/sa/web`,
          parentId: ALIAS,
          selectors: [
            { type: "k8s", value: "ns:default" },
            { type: "k8s", value: "pod-name:web-1" },
          ],
          dnsNames: [],
        },
      ]);
    },
  );

  it("treats a review without apiVersion as v1beta1, as the original did", async () => {
    const { apiVersion: _, ...body } = review("CREATE", podObject({ name: "p" }));
    const json = (await (await app.request(post(body))).json()) as { apiVersion: string };
    expect(json.apiVersion).toBe("admission.k8s.io/v1beta1");
  });

  it("keeps the entry while the pod terminates gracefully and removes only owned entries on the final delete", async () => {
    const pod = podObject({ name: "web-1", node: "n1" });
    await app.request(post(review("CREATE", pod)));
    const foreign = podEntrySpec(`spiffe://${TD}/other`, `spiffe://${TD}/spire/agent/x`, "web-1");
    rig.seed(foreign);
    await app.request(post(review("DELETE", pod, { options: { gracePeriodSeconds: 30 } })));
    expect(await rig.entries()).toHaveLength(2);
    await app.request(post(review("DELETE", pod, { options: { gracePeriodSeconds: 0 } })));
    expect((await rig.entries()).map((e) => e.spiffeId)).toEqual([foreign.spiffeId]);
  });

  it("removes a pod's entry by the ID it was created with, without a selector search", async () => {
    const pod = podObject({ name: "web-1", node: "n1" });
    await app.request(post(review("CREATE", pod)));
    const listed = await rig.spire.listEntries();
    expect(listed.ok && listed.value.map((e) => e.id)).toEqual([webhookPodEntryId("c1", "default", "web-1")]);
    const listsBefore = rig.spireServer.rpcCounts.ListEntries ?? 0;
    await app.request(post(review("DELETE", pod, { options: { gracePeriodSeconds: 0 } })));
    expect(rig.spireServer.rpcCounts.ListEntries ?? 0).toBe(listsBefore);
    expect(rig.spireServer.rpcCounts.BatchDeleteEntry).toBe(1);
    expect(await rig.entries()).toEqual([]);
  });

  it("finds an entry with a server-chosen ID (one the resync made) by its selectors", async () => {
    const pod = podObject({ name: "web-1", node: "n1", serviceAccount: "web" });
    rig.seed(podEntrySpec(`spiffe://${TD}/ns/default/sa/web`, ALIAS, "web-1"));
    await app.request(post(review("DELETE", pod, { options: { gracePeriodSeconds: 0 } })));
    expect(await rig.entries()).toEqual([]);
  });

  it("updates a stale entry that holds the pod's entry ID (a previous pod of that name)", async () => {
    const id = webhookPodEntryId("c1", "default", "db-0");
    const stale = podEntrySpec(`spiffe://${TD}/ns/default/sa/old`, ALIAS, "db-0");
    rig.spireServer.seed([entrySpecToProto(stale, id)]);
    const pod = podObject({ name: "db-0", serviceAccount: "new" });
    const response = await app.request(post(review("CREATE", pod)));
    expect(((await response.json()) as { response: unknown }).response).toEqual({
      uid: "uid-CREATE-db-0",
      allowed: true,
    });
    const entries = await rig.spire.listEntries();
    expect(entries.ok && entries.value.map((e) => [e.id, e.spiffeId])).toEqual([
      [id, `spiffe://${TD}/ns/default/sa/new`],
    ]);
  });

  it("deletes at once for an unscheduled pod and on the kubelet's final delete", async () => {
    const unscheduled = podObject({ name: "a" });
    await app.request(post(review("CREATE", unscheduled)));
    await app.request(post(review("DELETE", unscheduled)));
    const running = podObject({ name: "b", node: "n1" });
    await app.request(post(review("CREATE", running)));
    const terminating = {
      ...running,
      metadata: { ...running.metadata, deletionTimestamp: "2026-11-29T06:00:00Z" },
    };
    await app.request(post(review("DELETE", running, { oldObject: terminating })));
    expect(await rig.entries()).toEqual([]);
  });

  it.each([
    ["a disabled namespace", review("CREATE", podObject({ name: "dns", namespace: "kube-system" }))],
    [
      "another kind",
      review("CREATE", podObject({ name: "cm" }), { kind: { group: "", version: "v1", kind: "ConfigMap" } }),
    ],
    ["an update", review("UPDATE", podObject({ name: "p" }))],
    ["a dry run", review("CREATE", podObject({ name: "p" }), { dryRun: true })],
  ])("allows %s without touching SPIRE", async (_what, body) => {
    const response = await app.request(post(body));
    expect(await response.json()).toMatchObject({ response: { allowed: true } });
    expect(await rig.entries()).toEqual([]);
    expect(rig.spireServer.rpcCounts.BatchCreateEntry ?? 0).toBe(0);
  });

  it("gives a label-mode pod without the label no entry, and warns about an invalid label value", async () => {
    await rig.stop();
    await start(webhookConfig({ podLabel: "spiffe-id" }));
    await app.request(post(review("CREATE", podObject({ name: "plain" }))));
    expect(await rig.entries()).toEqual([]);
    const bad = await app.request(
      post(review("CREATE", podObject({ name: "bad", labels: { "spiffe-id": "a//b" } }))),
    );
    const json = (await bad.json()) as { response: { allowed: boolean; warnings: string[] } };
    expect(json.response.allowed).toBe(true);
    expect(json.response.warnings).toEqual([expect.stringMatching(/^SPIRE registrar: .*empty segments/)]);
    await app.request(
      post(
        review("CREATE", podObject({ name: "good", labels: { "spiffe-id": "production/example-workload" } })),
      ),
    );
    expect((await rig.entries()).map((e) => e.spiffeId)).toEqual([
      `spiffe://${TD}/production/example-workload`,
    ]);
  });

  it("admits with a warning when SPIRE is down, and denies when fail-closed", async () => {
    rig.spireServer.injectFault({ method: "BatchCreateEntry", code: Code.Unavailable, times: 100 });
    const open = (await (await app.request(post(review("CREATE", podObject({ name: "p" }))))).json()) as {
      response: { allowed: boolean; warnings: string[] };
    };
    expect(open.response.allowed).toBe(true);
    expect(open.response.warnings[0]).toMatch(
      /^SPIRE registrar: SPIRE server unavailable, entry for .* not created; the next resync will repair it$/,
    );

    failClosed = true;
    const closed = (await (await app.request(post(review("CREATE", podObject({ name: "q" }))))).json()) as {
      response: { allowed: boolean; status: { code: number; message: string } };
    };
    expect(closed.response.allowed).toBe(false);
    expect(closed.response.status.code).toBe(403);
    expect(closed.response.status.message).toMatch(
      /^SPIRE registrar \(webhook_fail_closed\): SPIRE server unavailable/,
    );
  });

  it("labels admission metrics from the known operations, so made-up ones cannot grow /metrics", async () => {
    const metrics = createMetrics();
    const counted = createApp({
      config: { ...webhookConfig(), webhookFailClosed: false },
      spire: rig.spire,
      isOwned: rig.context.isOwned,
      logger: silentLogger,
      readiness: ready,
      metrics,
    });
    for (let i = 0; i < 50; i++) {
      const made = review("CREATE", podObject({ name: `p${i}` }));
      await counted.request(
        post({ ...made, request: { ...made.request, operation: `OP${i}${"x".repeat(100)}` } }),
      );
    }
    const text = await (await counted.request("https://webhook/metrics")).text();
    expect(text).toContain('registrar_admission_reviews_total{operation="other",outcome="allowed"} 50');
    expect(text).not.toContain("OP1");
  });

  it("words a refusal by its gRPC code, not as unavailable (hardening defect 13)", async () => {
    rig.spireServer.injectFault({ method: "BatchCreateEntry", code: Code.PermissionDenied, times: 100 });
    const open = (await (await app.request(post(review("CREATE", podObject({ name: "p" }))))).json()) as {
      response: { warnings: string[] };
    };
    expect(open.response.warnings).toEqual([
      `SPIRE registrar: SPIRE server refused the registrar's request (PermissionDenied), entry for spiffe://${TD}/ns/default/sa/default not created; the next resync will repair it`,
    ]);
  });

  it("shows kubectl users no local path when the SPIRE socket is missing (hardening defect 13)", async () => {
    const socketPath = "/run/spire/sockets/hidden-from-users.sock";
    const spire = createSpireClient({
      transport: createUnixSocketTransport(socketPath),
      logger: silentLogger,
      retry: { maxAttempts: 1 },
    });
    try {
      const missing = createApp({
        config: { ...webhookConfig(), webhookFailClosed: false },
        spire,
        isOwned: rig.context.isOwned,
        logger: silentLogger,
        readiness: ready,
      });
      const json = (await (
        await missing.request(post(review("CREATE", podObject({ name: "p" }))))
      ).json()) as {
        response: { allowed: boolean; warnings: string[] };
      };
      expect(json.response.allowed).toBe(true);
      expect(json.response.warnings).toEqual([
        `SPIRE registrar: SPIRE server unavailable, entry for spiffe://${TD}/ns/default/sa/default not created; the next resync will repair it`,
      ]);
      expect(JSON.stringify(json)).not.toContain("/run/spire");
    } finally {
      spire.close();
    }
  });

  it.each([
    ["GET", "/validate", undefined, undefined, 405, "Expected POST\n"],
    ["POST", "/other", "application/json", "{}", 404, "Not found\n"],
    ["POST", "/validate", "text/plain", "{}", 400, "Expected JSON content\n"],
    ["POST", "/validate", "application/json", "{nope", 400, "Malformed JSON body\n"],
    [
      "POST",
      "/validate",
      "application/json",
      '{"kind":"AdmissionReview"}',
      400,
      "AdmissionReview is missing request\n",
    ],
    [
      "POST",
      "/validate",
      "application/json",
      '{"apiVersion":"admission.k8s.io/v2","request":{"uid":"u"}}',
      400,
      'unsupported apiVersion "admission.k8s.io/v2": want admission.k8s.io/v1 or admission.k8s.io/v1beta1\n',
    ],
    [
      "POST",
      "/validate",
      "application/json; charset=utf-8",
      '{"request":{}}',
      400,
      "AdmissionReview request is missing uid\n",
    ],
  ])("%s %s (%s) -> %i", async (method, path, contentType, body, status, text) => {
    const response = await app.request(`https://webhook${path}`, {
      method,
      ...(contentType ? { headers: { "content-type": contentType } } : {}),
      ...(body ? { body } : {}),
    });
    expect(response.status).toBe(status);
    expect(await response.text()).toBe(text);
  });
});

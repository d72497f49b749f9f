/**
 * Webhook-mode parity with the seed's own registrar v0.11.1: the same pod admissions (AdmissionReview
 * v1beta1, CREATE then DELETE) are sent over mutual TLS to the project's pod-admission function (with
 * a spire-server of today) and to k8s-workload-registrar v0.11.1 (with its spire-server v0.11.1, the
 * legacy Registration API). After every step the two servers' entries (SPIFFE ID, parent, selectors,
 * DNS names, TTL, admin, downstream, federation) must be equal, or differ by exactly what README's
 * "Deliberate differences" documents, named in the step.
 *
 * No kube-apiserver is involved: admission reviews are what the API server would send. The pods in
 * them (node, phase, deletionTimestamp at DELETE) are therefore written here, on purpose: both
 * webhooks must receive identical requests, which one live API server cannot send to two webhooks
 * of which the older one answers only v1beta1. The living-cluster side of webhook mode is in
 * lifecycle.test.ts and webhook-mode.test.ts.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { callWebhook, type WebhookTarget, webhookTarget } from "./harness/admission-client.js";
import { readEntries } from "./harness/entries.js";
import { type LegacyWebhookRegistrar, startLegacyWebhookRegistrar } from "./harness/legacy-registrar.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { type CertFiles, createPki, type Pki } from "./harness/pki.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { type ComparableEntry, diffEntries, podEntry } from "./support/entry-diff.js";
import { startWebhookFunction, type WebhookFunction } from "./support/webhook-function.js";

const TD = "example.org";
const CLUSTER = "parity";
const ALIAS = `spiffe://${TD}/k8s-workload-registrar/${CLUSTER}/node`;
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

interface PodInput {
  namespace: string;
  name: string;
  serviceAccount?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set once the pod is scheduled (DELETE reviews carry the pod as it is then). */
  nodeName?: string;
  phase?: string;
  deletionTimestamp?: string;
}

function podObject(input: PodInput): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: input.name,
      namespace: input.namespace,
      uid: randomUUID(),
      labels: input.labels,
      annotations: input.annotations,
      deletionTimestamp: input.deletionTimestamp,
    },
    spec: {
      serviceAccountName: input.serviceAccount ?? "default",
      nodeName: input.nodeName,
      containers: [{ name: "app", image: "registry.invalid/app:1" }],
    },
    status: input.phase === undefined ? {} : { phase: input.phase },
  };
}

/** An AdmissionReview v1beta1 as kube-apiserver sends it for a pod CREATE or DELETE. */
function review(
  operation: "CREATE" | "DELETE",
  pod: PodInput,
  options: { gracePeriodSeconds?: number } = {},
): Record<string, unknown> {
  const object = podObject(pod);
  return {
    apiVersion: "admission.k8s.io/v1beta1",
    kind: "AdmissionReview",
    request: {
      uid: randomUUID(),
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: pod.namespace,
      name: pod.name,
      operation,
      userInfo: { username: "system:admin" },
      object: operation === "CREATE" ? object : null,
      oldObject: operation === "DELETE" ? object : null,
      dryRun: false,
      options:
        operation === "CREATE"
          ? { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" }
          : { kind: "DeleteOptions", apiVersion: "meta.k8s.io/v1", ...options },
    },
  };
}

/** A review of a Service CREATE (the webhook's rules should not send one; both allow it). */
function serviceReview(namespace: string, name: string): Record<string, unknown> {
  const base = review("CREATE", { namespace, name });
  return {
    ...base,
    request: {
      ...(base.request as Record<string, unknown>),
      kind: { group: "", version: "v1", kind: "Service" },
      resource: { group: "", version: "v1", resource: "services" },
      object: { apiVersion: "v1", kind: "Service", metadata: { name, namespace } },
    },
  };
}

/** The graceful DELETE that starts termination, then the final one (grace period 0) once the pod is gone. */
const gracefulDelete = (pod: PodInput) =>
  review("DELETE", { ...pod, nodeName: "n1", phase: "Running" }, { gracePeriodSeconds: 30 });
const finalDelete = (pod: PodInput) =>
  review(
    "DELETE",
    { ...pod, nodeName: "n1", phase: "Running", deletionTimestamp: "2026-01-01T00:00:00Z" },
    { gracePeriodSeconds: 0 },
  );

/** The entry both registrars write for a pod. */
const entryOf = (pod: PodInput, spiffeId: string): ComparableEntry =>
  podEntry({
    spiffeId,
    parentId: ALIAS,
    selectors: [`k8s:ns:${pod.namespace}`, `k8s:pod-name:${pod.name}`],
  });

interface Side {
  server: SpireServer;
  target: WebhookTarget;
}

interface Variant {
  title: string;
  config: Record<string, unknown>;
  steps: Step[];
  /** The SPIFFE IDs in the project's server after the last step, besides the node alias. */
  finalIds: string[];
}

interface Step {
  what: string;
  /** Runs against each side first (e.g. an entry an administrator made by hand). */
  before?: (server: SpireServer) => Promise<void>;
  reviews: Record<string, unknown>[];
  /** The project answers with an AdmissionReview warning (telling the user why a pod got no entry). */
  projectWarns?: boolean;
  /** A documented difference the step leaves, and the README item that documents it. */
  difference?: { onlyInProject?: ComparableEntry[]; onlyInOriginal?: ComparableEntry[]; documented: string };
}

const web1: PodInput = { namespace: "app", name: "web-1", serviceAccount: "web" };
const web2: PodInput = { namespace: "app", name: "web-2", serviceAccount: "web" };
const api1: PodInput = { namespace: "app2", name: "api-1", serviceAccount: "api" };
const sys1: PodInput = { namespace: "kube-system", name: "dns-1", serviceAccount: "dns" };
const FOREIGN_ID = `spiffe://${TD}/hand-made/web-1`;
const FOREIGN_PARENT = `spiffe://${TD}/admin/agents`;

const byLabel = (name: string, value?: string): PodInput => ({
  namespace: "app",
  name,
  ...(value === undefined ? {} : { labels: { "spiffe-id": value } }),
});
const byAnnotation = (name: string, value?: string): PodInput => ({
  namespace: "app",
  name,
  ...(value === undefined ? {} : { annotations: { "spiffe.io/spiffe-id": value } }),
});

const VARIANTS: Variant[] = [
  {
    title: "service-account IDs",
    config: {},
    steps: [
      {
        what: "CREATE three pods in two namespaces",
        reviews: [web1, web2, api1].map((p) => review("CREATE", p)),
      },
      {
        what: "CREATE a pod in a disabled namespace, and a review of another kind",
        reviews: [review("CREATE", sys1), serviceReview("app", "svc")],
      },
      {
        what: "the graceful DELETE that starts a pod's termination",
        reviews: [gracefulDelete(web2)],
        difference: {
          onlyInProject: [entryOf(web2, `spiffe://${TD}/ns/app/sa/web`)],
          documented:
            "Pod entries are removed when the pod is gone ..., not at the start of graceful termination",
        },
      },
      { what: "the final DELETE (grace period 0)", reviews: [finalDelete(web2)] },
      {
        what: "the final DELETE of a pod that also has an entry made by hand with the same selectors",
        before: async (server) => {
          const created = await server.cli([
            "entry",
            "create",
            "-parentID",
            FOREIGN_PARENT,
            "-spiffeID",
            FOREIGN_ID,
            "-selector",
            "k8s:ns:app",
            "-selector",
            "k8s:pod-name:web-1",
          ]);
          if (created.code !== 0) throw new Error(`entry create failed: ${created.stderr}${created.stdout}`);
        },
        reviews: [finalDelete(web1)],
        difference: {
          onlyInProject: [{ ...entryOf(web1, FOREIGN_ID), parentId: FOREIGN_PARENT }],
          documented: "DELETE removes only the registrar's own entries",
        },
      },
    ],
    finalIds: [`spiffe://${TD}/ns/app2/sa/api`, FOREIGN_ID],
  },
  {
    title: "pod_label IDs",
    config: { pod_label: "spiffe-id" },
    steps: [
      {
        what: "CREATE pods with the label (plain and dotted values) and without",
        reviews: [byLabel("billing", "billing"), byLabel("nested", "team-b.api"), byLabel("plain")].map((p) =>
          review("CREATE", p),
        ),
      },
      { what: "the final DELETE of a labelled pod", reviews: [finalDelete(byLabel("billing", "billing"))] },
    ],
    finalIds: [`spiffe://${TD}/team-b.api`],
  },
  {
    title: "pod_annotation IDs",
    config: { pod_annotation: "spiffe.io/spiffe-id" },
    steps: [
      {
        what: "CREATE pods with a multi-segment annotation and without",
        reviews: [byAnnotation("worker", "team-c/worker"), byAnnotation("plain")].map((p) =>
          review("CREATE", p),
        ),
      },
      {
        what: "CREATE pods whose annotation is no valid SPIFFE ID path (a space, a `..` segment)",
        reviews: [byAnnotation("spaced", "a b"), byAnnotation("dotdot", "x/../admin")].map((p) =>
          review("CREATE", p),
        ),
        projectWarns: true,
        difference: {
          onlyInOriginal: [
            entryOf(byAnnotation("spaced"), `spiffe://${TD}/a%20b`),
            entryOf(byAnnotation("dotdot"), `spiffe://${TD}/admin`),
          ],
          documented:
            "SPIFFE IDs are validated by the SPIFFE spec ...; an invalid value gives no entry and a warning",
        },
      },
    ],
    finalIds: [`spiffe://${TD}/team-c/worker`],
  },
];

describe.skipIf(skipWithoutPeers(["spire-server", "spire-server-v0.11.1", "k8s-workload-registrar-v0.11.1"]))(
  "webhook mode: parity with the registrar v0.11.1",
  () => {
    let run: RunDir | undefined;
    let pki: Pki | undefined;
    let serving: CertFiles | undefined;

    beforeAll(async () => {
      run = await makeRunDir("pwh", log);
      pki = await createPki(join(run.path, "pki"));
      serving = await pki.issueServerCert("webhook", ["127.0.0.1"]);
    });
    afterAll(async () => {
      await run?.remove();
    });
    beforeEach(({ onTestFailed }) => {
      onTestFailed(printPeerLogs);
    });

    describe.each(VARIANTS)("$title", (variant) => {
      const stops: Array<() => Promise<void>> = [];
      let project: Side | undefined;
      let original: Side | undefined;
      let fn: WebhookFunction | undefined;
      let legacy: LegacyWebhookRegistrar | undefined;

      beforeAll(async () => {
        if (!run || !pki || !serving) throw new Error("PKI not set up (see the outer beforeAll)");
        const config = { trust_domain: TD, cluster: CLUSTER, ...variant.config };
        const [projectServer, originalServer] = await Promise.all([
          startSpireServer({ trustDomain: TD }),
          startSpireServer({ trustDomain: TD, release: "v0.11.1" }),
        ]);
        stops.push(projectServer.stop, originalServer.stop);
        fn = await startWebhookFunction({
          dir: run.path,
          name: `pod-admission-${variant.config.pod_label ? "label" : variant.config.pod_annotation ? "annotation" : "sa"}`,
          socketPath: projectServer.socketPath,
          serving,
          caCertPath: pki.ca.certPath,
          config,
        });
        stops.push(fn.stop);
        legacy = await startLegacyWebhookRegistrar({
          server: originalServer,
          serving,
          caCertPath: pki.ca.certPath,
          client: pki.webhookClient,
          config,
        });
        stops.push(legacy.stop);
        project = {
          server: projectServer,
          target: await webhookTarget(fn.url, pki.ca.certPath, pki.webhookClient),
        };
        original = {
          server: originalServer,
          target: await webhookTarget(legacy.url, pki.ca.certPath, pki.webhookClient),
        };
      });

      afterAll(async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      });

      it("starts with the same cluster node alias entry", async () => {
        if (!project || !original) throw new Error("peers did not start (see beforeAll)");
        const entries = await readEntries(project.server);
        expect(diffEntries(entries, await readEntries(original.server))).toEqual({
          onlyInProject: [],
          onlyInOriginal: [],
        });
        expect(entries.map((e) => [e.spiffeId, e.parentId, e.selectors])).toEqual([
          [ALIAS, `spiffe://${TD}/spire/server`, [`k8s_psat:cluster:${CLUSTER}`]],
        ]);
      });

      it.each(variant.steps)("$what", async (step) => {
        if (!project || !original) throw new Error("peers did not start (see beforeAll)");
        for (const side of [project, original]) {
          await step.before?.(side.server);
          for (const body of step.reviews) {
            const answer = await callWebhook(side.target, "POST", body);
            const uid = (body.request as { uid: string }).uid;
            expect(answer.status, `${side.target.url}: ${answer.body}`).toBe(200);
            const response = JSON.parse(answer.body).response;
            expect(response).toMatchObject({ uid, allowed: true });
            if (side === project && step.projectWarns) expect(response.warnings).toHaveLength(1);
          }
        }
        const difference = diffEntries(await readEntries(project.server), await readEntries(original.server));
        expect(difference).toEqual({
          onlyInProject: step.difference?.onlyInProject ?? [],
          onlyInOriginal: step.difference?.onlyInOriginal ?? [],
        });
      });

      it("leaves the project's server with the expected entries (the two agreed on something)", async () => {
        if (!project) throw new Error("peers did not start (see beforeAll)");
        const ids = (await readEntries(project.server)).map((e) => e.spiffeId).filter((id) => id !== ALIAS);
        expect(ids.sort()).toEqual([...variant.finalIds].sort());
      });
    });
  },
);

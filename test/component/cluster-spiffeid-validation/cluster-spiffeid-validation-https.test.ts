/**
 * cluster-spiffeid-validation as the API server sees it: HTTPS with a serving certificate minted from
 * (fake) SPIRE, SCM's two paths, AdmissionReview v1 and v1beta1 in and out, SCM's messages, the tenant
 * rules, and the HTTP errors for requests that are not admission reviews or are too large.
 */
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLUSTER_FEDERATED_TRUST_DOMAIN_VALIDATION_PATH,
  CLUSTER_SPIFFEID_VALIDATION_PATH,
} from "../../../functions/cluster-spiffeid-validation/app.js";
import { startClusterSpiffeIdValidationServer } from "../../../functions/cluster-spiffeid-validation/start.js";
import type { ServedApp } from "../../../lib/http/serve.js";
import { createMetrics, type Metrics } from "../../../lib/metrics/metrics.js";
import { writeCertFiles } from "../../../lib/webhook-svid/cert-dir.js";
import { webhookSvidIdentity } from "../../../lib/webhook-svid/identity.js";
import { mintWebhookCertificate } from "../../../lib/webhook-svid/mint.js";
import {
  createManualClock,
  type ManualClock,
  type SpireWithCa,
  startSpireWithCa,
  TD,
} from "../spiffeid-validation/support.js";

const SERVICE_HOST = "k8s-workload-registrar.spire.svc";
const MAX_REQUEST_BYTES = 16 * 1024;
const NS_SA = "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";
const CSID = { group: "spire.spiffe.io", version: "v1alpha1", kind: "ClusterSPIFFEID" };
const CFTD = { group: "spire.spiffe.io", version: "v1alpha1", kind: "ClusterFederatedTrustDomain" };
const FEDERATION = {
  trustDomain: "other.org",
  bundleEndpointURL: "https://other.org:8443",
  bundleEndpointProfile: { type: "https_web" },
};

interface Answer {
  status: number;
  body: string;
  peerSan: string | undefined;
}

function review(
  kind: typeof CSID,
  spec: unknown,
  options: { apiVersion?: string; operation?: string; groups?: string[] } = {},
) {
  const operation = options.operation ?? "CREATE";
  const object = { apiVersion: "spire.spiffe.io/v1alpha1", kind: kind.kind, metadata: { name: "r1" }, spec };
  return {
    apiVersion: options.apiVersion ?? "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `uid-${operation}`,
      kind,
      resource: { group: kind.group, version: kind.version, resource: `${kind.kind.toLowerCase()}s` },
      name: "r1",
      operation,
      userInfo: { username: "alice", groups: options.groups ?? ["system:authenticated"] },
      object,
      ...(operation === "UPDATE" ? { oldObject: object } : {}),
    },
  };
}

describe("cluster-spiffeid-validation over HTTPS with a certificate minted by SPIRE", () => {
  let tmp: string;
  let clock: ManualClock;
  let spire: SpireWithCa;
  let metrics: Metrics;
  let served: ServedApp | undefined;

  const call = (
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: served?.port,
          path,
          method,
          ca: spire.ca.rootCertPem,
          servername: SERVICE_HOST,
          headers: body === undefined ? {} : { "content-type": contentType },
          agent: false,
        },
        (res) => {
          const peer = (res.socket as TLSSocket).getPeerCertificate();
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: text, peerSan: peer.subjectaltname }),
          );
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body));
    });
  const admit = async (body: unknown, path = CLUSTER_SPIFFEID_VALIDATION_PATH) => {
    const answer = await call("POST", path, body);
    expect(answer.status).toBe(200);
    return JSON.parse(answer.body) as { apiVersion: string; kind: string; response: Record<string, unknown> };
  };

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "cluster-spiffeid-validation-"));
    // Certificates are issued at real time, as the TLS client checks validity against the system clock.
    clock = createManualClock(Date.now());
    spire = await startSpireWithCa(clock, () => new Date());
    metrics = createMetrics({ resync: false });
    served = await startClusterSpiffeIdValidationServer({
      trustDomain: TD,
      cluster: "c1",
      namespace: "spire",
      webhookServiceName: "k8s-workload-registrar",
      webhookCertDir: join(tmp, "certs"),
      addr: "127.0.0.1:0",
      spire: spire.spire,
      logger: pino({ level: "silent" }),
      readiness: async () => ({ ready: true }),
      metrics,
      clock,
      maxRequestBytes: MAX_REQUEST_BYTES,
      tenants: { enabled: true, adminGroups: ["spire-admins"], downstreamGroups: [] },
    });
  });
  afterAll(async () => {
    await served?.close();
    await spire?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("presents the minted certificate for the Service name and answers health checks", async () => {
    const answer = await call("GET", "/healthz");
    expect(answer).toMatchObject({ status: 200, body: "ok" });
    expect(answer.peerSan).toBe(`URI:spiffe://${TD}/k8s-workload-registrar/c1/webhook, DNS:${SERVICE_HOST}`);
  });

  it.each([
    ["admission.k8s.io/v1", CLUSTER_SPIFFEID_VALIDATION_PATH, CSID, { spiffeIDTemplate: NS_SA }],
    ["admission.k8s.io/v1beta1", CLUSTER_SPIFFEID_VALIDATION_PATH, CSID, { spiffeIDTemplate: NS_SA }],
    ["admission.k8s.io/v1", CLUSTER_FEDERATED_TRUST_DOMAIN_VALIDATION_PATH, CFTD, FEDERATION],
    ["admission.k8s.io/v1beta1", CLUSTER_FEDERATED_TRUST_DOMAIN_VALIDATION_PATH, CFTD, FEDERATION],
  ])("allows a valid resource in %s at %s", async (apiVersion, path, kind, spec) => {
    for (const operation of ["CREATE", "UPDATE"]) {
      expect(await admit(review(kind, spec, { apiVersion, operation }), path)).toEqual({
        apiVersion,
        kind: "AdmissionReview",
        response: { uid: `uid-${operation}`, allowed: true },
      });
    }
  });

  it.each([
    [CSID, { spiffeIDTemplate: "" }, "empty SPIFFEID template"],
    [CSID, { spiffeIDTemplate: NS_SA, ttl: "1d" }, 'time: unknown unit "d" in duration "1d"'],
    [
      CFTD,
      { ...FEDERATION, bundleEndpointURL: "http://other.org" },
      "invalid bundleEndpointURL value: scheme must be https",
    ],
    [
      CSID,
      { spiffeIDTemplate: NS_SA, admin: true },
      'spec.admin: true is only allowed to members of the groups of cluster_spiffeid_admin_groups, and user "alice" is in none of them',
    ],
    [
      CFTD,
      { ...FEDERATION, trustDomain: TD },
      `spec.trustDomain is this cluster's own trust domain "${TD}": SPIRE federates only with other trust domains`,
    ],
  ])("denies a %o with 403 and the message", async (kind, spec, message) => {
    for (const apiVersion of ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]) {
      expect(await admit(review(kind, spec, { apiVersion }))).toEqual({
        apiVersion,
        kind: "AdmissionReview",
        response: { uid: "uid-CREATE", allowed: false, status: { code: 403, reason: "Forbidden", message } },
      });
    }
  });

  it("allows admin to a member of the admin groups", async () => {
    const body = review(CSID, { spiffeIDTemplate: NS_SA, admin: true }, { groups: ["spire-admins"] });
    expect((await admit(body)).response).toEqual({ uid: "uid-CREATE", allowed: true });
  });

  it("answers either kind on either path", async () => {
    const body = review(CFTD, { ...FEDERATION, trustDomain: "Other.org" });
    expect((await admit(body, CLUSTER_SPIFFEID_VALIDATION_PATH)).response).toMatchObject({
      allowed: false,
      status: { message: expect.stringMatching(/^invalid trustDomain value: /) },
    });
  });

  it("passes a bundle warning on to the user", async () => {
    const bundle = JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0", use: "jwt-svid", kid: "k" }] });
    const answer = await admit(review(CFTD, { ...FEDERATION, trustDomainBundle: bundle }));
    expect(answer.response).toMatchObject({
      allowed: true,
      warnings: [expect.stringContaining("spec.trustDomainBundle cannot be sent to SPIRE")],
    });
  });

  it("allows DELETE and kinds SCM's webhook does not validate", async () => {
    const remove = review(CSID, { spiffeIDTemplate: "" }, { operation: "DELETE" });
    expect((await admit(remove)).response).toEqual({ uid: "uid-DELETE", allowed: true });
    const staticEntry = review({ ...CSID, kind: "ClusterStaticEntry" }, {});
    expect((await admit(staticEntry)).response).toEqual({ uid: "uid-CREATE", allowed: true });
  });

  it("denies an object that is not the kind the request names, saying so", async () => {
    const body = review(CSID, { spiffeIDTemplate: NS_SA });
    const wrong = {
      ...body,
      request: { ...body.request, object: { apiVersion: "v1", kind: "Pod", spec: {} } },
    };
    expect((await admit(wrong)).response).toEqual({
      uid: "uid-CREATE",
      allowed: false,
      status: {
        code: 403,
        reason: "Forbidden",
        message:
          'request.object has apiVersion "v1" and kind "Pod", but the request is about a spire.spiffe.io/v1alpha1 ClusterSPIFFEID',
      },
    });
  });

  it.each<[string, unknown, string | undefined, number, string]>([
    ["a body that is not JSON", "{", undefined, 400, "Malformed JSON body\n"],
    ["a body that is not JSON content", "{}", "text/plain", 400, "Expected JSON content\n"],
    [
      "a review without a request",
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
      undefined,
      400,
      "AdmissionReview is missing request\n",
    ],
    [
      "a review of an unknown apiVersion",
      { ...review(CSID, {}), apiVersion: "admission.k8s.io/v2" },
      undefined,
      400,
      'unsupported apiVersion "admission.k8s.io/v2": want admission.k8s.io/v1 or admission.k8s.io/v1beta1\n',
    ],
    [
      "a body of another kind than AdmissionReview",
      { ...review(CSID, {}), kind: "ClusterSPIFFEID" },
      undefined,
      400,
      'unexpected kind "ClusterSPIFFEID": want AdmissionReview\n',
    ],
    [
      "a body over max_request_bytes",
      review(CSID, { spiffeIDTemplate: "x".repeat(MAX_REQUEST_BYTES) }),
      undefined,
      413,
      `{"error":"request body is larger than ${MAX_REQUEST_BYTES} bytes"}`,
    ],
  ])("answers %s with HTTP %#", async (_name, body, contentType, status, text) => {
    expect(await call("POST", CLUSTER_SPIFFEID_VALIDATION_PATH, body, contentType)).toMatchObject({
      status,
      body: text,
    });
  });

  it("answers other methods and paths with HTTP errors", async () => {
    expect((await call("GET", CLUSTER_FEDERATED_TRUST_DOMAIN_VALIDATION_PATH)).status).toBe(405);
    expect((await call("POST", "/validate-spiffeid-spiffe-io-v1beta1-spiffeid", {})).status).toBe(404);
  });

  it("counts reviews by operation and verdict on /metrics", async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/registrar_admission_reviews_total\{operation="CREATE",outcome="denied"\} [1-9]/);
    expect(text).toMatch(
      /registrar_admission_reviews_total\{operation="unknown",outcome="malformed"\} [1-9]/,
    );
  });
});

describe("cluster-spiffeid-validation with a read-only certificate directory", () => {
  it("serves the mounted certificate and never mints", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "cluster-spiffeid-validation-ro-"));
    const clock = createManualClock(Date.now());
    const spire = await startSpireWithCa(clock, () => new Date());
    let served: ServedApp | undefined;
    try {
      const identity = webhookSvidIdentity({
        trustDomain: TD,
        cluster: "c1",
        serviceName: "k8s-workload-registrar",
        namespace: "spire",
      });
      if (!identity.ok) throw new Error(identity.error);
      const mounted = await mintWebhookCertificate(spire.spire, identity.value);
      if (!mounted.ok) throw new Error(mounted.error);
      await writeCertFiles(tmp, mounted.value.certChainPem, mounted.value.privateKeyPem);
      const mintsBefore = spire.server.rpcCounts.MintX509SVID;

      served = await startClusterSpiffeIdValidationServer({
        trustDomain: TD,
        cluster: "c1",
        namespace: "spire",
        webhookServiceName: "k8s-workload-registrar",
        webhookCertDir: tmp,
        addr: "127.0.0.1:0",
        spire: spire.spire,
        logger: pino({ level: "silent" }),
        readiness: async () => ({ ready: true }),
        clock,
        checkDirAccess: async () => "read-only",
      });
      const port = served.port;
      const serial = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port,
            path: "/healthz",
            ca: spire.ca.rootCertPem,
            servername: SERVICE_HOST,
            agent: false,
          },
          (res) => {
            res.resume();
            resolve((res.socket as TLSSocket).getPeerCertificate().serialNumber);
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(serial).toBe(new X509Certificate(mounted.value.certChainPem).serialNumber);
      expect(spire.server.rpcCounts.MintX509SVID).toBe(mintsBefore);
      expect(clock.pending()).toEqual([]);
    } finally {
      await served?.close();
      await spire.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

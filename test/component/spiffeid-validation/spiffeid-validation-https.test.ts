import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SPIFFEID_VALIDATION_PATH } from "../../../functions/spiffeid-validation/app.js";
import { startSpiffeIdValidationServer } from "../../../functions/spiffeid-validation/start.js";
import type { ServedApp } from "../../../lib/http/serve.js";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { entrySpecToProto } from "../../../lib/spire/convert.js";
import { writeCertFiles } from "../../../lib/webhook-svid/cert-dir.js";
import { webhookSvidIdentity } from "../../../lib/webhook-svid/identity.js";
import { mintWebhookCertificate } from "../../../lib/webhook-svid/mint.js";
import { createManualClock, type ManualClock, type SpireWithCa, startSpireWithCa, TD } from "./support.js";

const SERVICE_HOST = "k8s-workload-registrar.spire.svc";
const PARENT = `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`;
const WORKLOAD = `spiffe://${TD}/ns/web/sa/web`;

interface Answer {
  status: number;
  body: string;
  peerSerial: string;
  peerSan: string | undefined;
}

function spiffeIdReview(
  apiVersion: string,
  operation: string,
  spec: Record<string, unknown> = {},
  uid = `uid-${operation}`,
) {
  return {
    apiVersion,
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "spiffeid.spiffe.io", version: "v1beta1", kind: "SpiffeID" },
      resource: { group: "spiffeid.spiffe.io", version: "v1beta1", resource: "spiffeids" },
      namespace: "web",
      name: "web",
      operation,
      object: {
        apiVersion: "spiffeid.spiffe.io/v1beta1",
        kind: "SpiffeID",
        metadata: { name: "web", namespace: "web" },
        spec: {
          parentId: PARENT,
          spiffeId: WORKLOAD,
          selector: { namespace: "web", serviceAccount: "web" },
          ...spec,
        },
      },
    },
  };
}

const entry = (overrides: Partial<EntrySpec> = {}): EntrySpec => ({
  spiffeId: WORKLOAD,
  parentId: PARENT,
  selectors: [
    { type: "k8s", value: "ns:web" },
    { type: "k8s", value: "sa:web" },
  ],
  dnsNames: [],
  federatesWith: [],
  admin: false,
  downstream: false,
  ...overrides,
});

describe("spiffeid-validation over HTTPS with a certificate minted by SPIRE", () => {
  let tmp: string;
  let clock: ManualClock;
  let spire: SpireWithCa;
  let served: ServedApp | undefined;

  const call = (method: string, path: string, body?: unknown): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: served?.port,
          path,
          method,
          ca: spire.ca.rootCertPem,
          servername: SERVICE_HOST,
          headers: body === undefined ? {} : { "content-type": "application/json" },
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
            resolve({
              status: res.statusCode ?? 0,
              body: text,
              peerSerial: peer.serialNumber,
              peerSan: peer.subjectaltname,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const review = async (body: unknown) => {
    const answer = await call("POST", SPIFFEID_VALIDATION_PATH, body);
    expect(answer.status).toBe(200);
    return JSON.parse(answer.body) as { apiVersion: string; kind: string; response: Record<string, unknown> };
  };

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "spiffeid-validation-"));
    // Certificates are issued at real time, as the TLS client checks validity against the system
    // clock; only the renewal timer is driven by hand.
    clock = createManualClock(Date.now());
    spire = await startSpireWithCa(clock, () => new Date());
    served = await startSpiffeIdValidationServer({
      trustDomain: TD,
      cluster: "c1",
      namespace: "spire",
      webhookServiceName: "k8s-workload-registrar",
      webhookCertDir: join(tmp, "certs"),
      addr: "127.0.0.1:0",
      spire: spire.spire,
      admissionSpire: spire.spire,
      logger: pino({ level: "silent" }),
      readiness: async () => ({ ready: true }),
      clock,
      reloadIntervalMs: 20,
    });
  });
  afterAll(async () => {
    await served?.close();
    await spire?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(() => {
    spire.server.clearFaults();
    for (const existing of spire.server.store.list(undefined, 0, "", undefined).entries) {
      spire.server.store.delete(existing.id);
    }
  });

  it("presents the minted certificate for the Service name and answers health checks", async () => {
    const answer = await call("GET", "/healthz");
    expect(answer).toMatchObject({ status: 200, body: "ok" });
    expect(answer.peerSan).toBe(`URI:spiffe://${TD}/k8s-workload-registrar/c1/webhook, DNS:${SERVICE_HOST}`);
  });

  it.each(["admission.k8s.io/v1", "admission.k8s.io/v1beta1"])(
    "allows a valid SpiffeID in %s",
    async (apiVersion) => {
      expect(await review(spiffeIdReview(apiVersion, "CREATE"))).toEqual({
        apiVersion,
        kind: "AdmissionReview",
        response: { uid: "uid-CREATE", allowed: true },
      });
    },
  );

  it.each(["admission.k8s.io/v1", "admission.k8s.io/v1beta1"])(
    "denies with 403 and the message in %s",
    async (apiVersion) => {
      const spec = { spiffeId: `spiffe://${TD}.evil/web` };
      expect(await review(spiffeIdReview(apiVersion, "UPDATE", spec))).toEqual({
        apiVersion,
        kind: "AdmissionReview",
        response: {
          uid: "uid-UPDATE",
          allowed: false,
          status: { code: 403, reason: "Forbidden", message: `spec.spiffeId must begin with spiffe://${TD}` },
        },
      });
    },
  );

  it("denies a CREATE that duplicates a SPIRE entry with the same SPIFFE ID, parent and selectors", async () => {
    spire.server.seed([entrySpecToProto(entry())]);
    const answer = await review(spiffeIdReview("admission.k8s.io/v1", "CREATE"));
    expect(answer.response).toMatchObject({
      allowed: false,
      status: { code: 403, message: "Duplicate detected" },
    });
  });

  it("allows a CREATE when the only such entry has another parent", async () => {
    spire.server.seed([
      entrySpecToProto(entry({ parentId: `spiffe://${TD}/k8s-workload-registrar/c1/node/n2` })),
    ]);
    const answer = await review(spiffeIdReview("admission.k8s.io/v1", "CREATE"));
    expect(answer.response).toEqual({ uid: "uid-CREATE", allowed: true });
  });

  it("does not look for duplicates on UPDATE", async () => {
    spire.server.seed([entrySpecToProto(entry())]);
    const before = spire.server.rpcCounts.ListEntries ?? 0;
    const answer = await review(spiffeIdReview("admission.k8s.io/v1", "UPDATE"));
    expect(answer.response).toEqual({ uid: "uid-UPDATE", allowed: true });
    expect(spire.server.rpcCounts.ListEntries ?? 0).toBe(before);
  });

  it("denies a CREATE it cannot check because SPIRE fails", async () => {
    spire.server.injectFault({ method: "ListEntries", code: Code.PermissionDenied });
    const answer = await review(spiffeIdReview("admission.k8s.io/v1", "CREATE"));
    expect(answer.response).toMatchObject({
      allowed: false,
      status: {
        code: 403,
        message: expect.stringContaining("unable to check SPIRE for duplicate entries, try again:"),
      },
    });
  });

  it("allows DELETE", async () => {
    const body = spiffeIdReview("admission.k8s.io/v1", "DELETE", { spiffeId: "spiffe://other.org/x" });
    expect((await review(body)).response).toEqual({ uid: "uid-DELETE", allowed: true });
  });

  it("answers malformed requests with HTTP errors", async () => {
    expect((await call("GET", SPIFFEID_VALIDATION_PATH)).status).toBe(405);
    expect(
      await call("POST", SPIFFEID_VALIDATION_PATH, {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
      }),
    ).toMatchObject({
      status: 400,
      body: "AdmissionReview is missing request\n",
    });
    expect((await call("POST", "/validate", {})).status).toBe(404);
  });

  it("serves the renewed certificate after rotation without a restart", async () => {
    const before = (await call("GET", "/healthz")).peerSerial;
    await clock.runNext();
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = (await call("GET", "/healthz")).peerSerial;
    }
    expect(after).not.toBe(before);
  });
});

describe("spiffeid-validation with a read-only certificate directory", () => {
  it("serves the mounted certificate and never mints", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "spiffeid-validation-ro-"));
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

      served = await startSpiffeIdValidationServer({
        trustDomain: TD,
        cluster: "c1",
        namespace: "spire",
        webhookServiceName: "k8s-workload-registrar",
        webhookCertDir: tmp,
        addr: "127.0.0.1:0",
        spire: spire.spire,
        admissionSpire: spire.spire,
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

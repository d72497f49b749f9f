import { createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCertificates, type WebhookCertificates } from "../../../lib/generate-config/certificates.js";
import { parseKeyAlgorithm } from "../../../lib/generate-config/key-algorithm.js";
import { validityWindow } from "../../../lib/generate-config/validity.js";

const SERVICE_HOST = "k8s-workload-registrar.spire.svc";

async function certificates(): Promise<WebhookCertificates> {
  const key = parseKeyAlgorithm("ec-p256");
  const validity = validityWindow(new Date(), 3_600_000);
  if (!key.ok || !validity.ok) throw new Error("bad test setup");
  return generateCertificates(
    {
      service: "k8s-workload-registrar",
      namespace: "spire",
      caKey: key.value,
      serverKey: key.value,
      clientKey: key.value,
      validity: validity.value,
    },
    globalThis.crypto,
  );
}

interface ClientOptions {
  cert?: string;
  key?: string;
  servername?: string;
}

/** POST /validate as the API server would; resolves to the status, rejects on a TLS failure. */
function callWebhook(port: number, ca: string, options: ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/validate",
        servername: SERVICE_HOST,
        ca,
        ...options,
        agent: false,
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end("{}");
  });
}

describe("generated certificates in a real TLS handshake", () => {
  let generated: WebhookCertificates;
  let server: Server;
  let port: number;
  /** Requests that reached the handler: a refused client must never add one. */
  let served = 0;
  const expectRefused = async (call: Promise<number>) => {
    const before = served;
    await expect(call).rejects.toThrow();
    expect(served).toBe(before);
  };

  beforeAll(async () => {
    generated = await certificates();
    server = createServer(
      {
        cert: generated.server.certificatePem,
        key: generated.server.privateKeyPem,
        ca: generated.ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (incoming, response) => {
        served += 1;
        incoming.resume();
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("accepts the API server's client certificate, verifying the server as <service>.<namespace>.svc", async () => {
    const before = served;
    const status = await callWebhook(port, generated.ca.certificatePem, {
      cert: generated.client.certificatePem,
      key: generated.client.privateKeyPem,
    });
    expect(status).toBe(200);
    expect(served).toBe(before + 1);
  });

  it("refuses a client without a certificate", async () => {
    await expectRefused(callWebhook(port, generated.ca.certificatePem, {}));
  });

  it("does not serve other host names", async () => {
    await expect(
      callWebhook(port, generated.ca.certificatePem, {
        cert: generated.client.certificatePem,
        key: generated.client.privateKeyPem,
        servername: "other.spire.svc",
      }),
    ).rejects.toMatchObject({ code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  });

  it("refuses a client certificate from another CA", async () => {
    const other = await certificates();
    await expectRefused(
      callWebhook(port, generated.ca.certificatePem, {
        cert: other.client.certificatePem,
        key: other.client.privateKeyPem,
      }),
    );
  });

  it("is refused by a client that trusts only another CA", async () => {
    const other = await certificates();
    await expect(
      callWebhook(port, other.ca.certificatePem, {
        cert: generated.client.certificatePem,
        key: generated.client.privateKeyPem,
      }),
    ).rejects.toMatchObject({ code: "SELF_SIGNED_CERT_IN_CHAIN" });
  });
});

import { readFile } from "node:fs/promises";
import { request } from "node:https";
import type { CertFiles } from "./pki.js";

/** Where and how to reach an admission webhook over mutual TLS, as kube-apiserver does. */
export interface WebhookTarget {
  /** e.g. https://127.0.0.1:PORT/validate */
  url: string;
  /** PEM of the CA that signed the webhook's serving certificate. */
  ca: Buffer;
  /** PEM of the client certificate and key presented to the webhook. */
  cert: Buffer;
  key: Buffer;
}

/** Reads the PEM files of a `WebhookTarget`. */
export async function webhookTarget(
  url: string,
  caCertPath: string,
  client: CertFiles,
): Promise<WebhookTarget> {
  const [ca, cert, key] = await Promise.all([
    readFile(caCertPath),
    readFile(client.certPath),
    readFile(client.keyPath),
  ]);
  return { url, ca, cert, key };
}

/** An HTTP answer: the status and the body as text. */
export interface WebhookAnswer {
  status: number;
  body: string;
}

/**
 * Sends one request over mutual TLS (a new connection each time, as the answers of a
 * comparison must not depend on connection reuse). `body` is sent as `application/json`,
 * exactly (the seed's webhook refuses any parameter).
 */
export function callWebhook(
  target: WebhookTarget,
  method: "GET" | "POST",
  body?: unknown,
  timeoutMs = 10_000,
): Promise<WebhookAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      target.url,
      {
        method,
        ca: target.ca,
        cert: target.cert,
        key: target.key,
        agent: false,
        timeout: timeoutMs,
        headers: body === undefined ? {} : { "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${target.url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * POSTs an AdmissionReview and returns its `response` (uid, allowed, status, warnings); throws on
 * anything but HTTP 200 with a JSON review.
 */
export async function sendAdmissionReview(
  target: WebhookTarget,
  review: unknown,
): Promise<{ uid?: string; allowed?: boolean; [key: string]: unknown }> {
  const answer = await callWebhook(target, "POST", review);
  if (answer.status !== 200) {
    throw new Error(`${target.url} answered HTTP ${answer.status}: ${answer.body.trim()}`);
  }
  const parsed = JSON.parse(answer.body) as { response?: { uid?: string; allowed?: boolean } };
  if (parsed.response === undefined) throw new Error(`${target.url} answered no response: ${answer.body}`);
  return parsed.response;
}

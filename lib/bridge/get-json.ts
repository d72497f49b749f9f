/**
 * A raw JSON GET against the API server with the kubeconfig's credentials and TLS settings
 * (client-node's own agent), for reads whose objects must stay exactly as served.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** A non-2xx answer; `status` is the HTTP status (e.g. 410 for an expired continue token). */
export class KubeHttpError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = "KubeHttpError";
    this.status = status;
  }
}

/** GETs `pathAndQuery` (e.g. `/api/v1/pods?limit=500`) and parses the JSON body. */
export async function getJson(
  kubeConfig: KubeConfig,
  pathAndQuery: string,
  timeoutMs = 30_000,
): Promise<unknown> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error("kubeconfig has no current cluster");
  const url = new URL(pathAndQuery, server);
  const options: RequestOptions = { method: "GET", headers: { accept: "application/json" } };
  await kubeConfig.applyToHTTPSOptions(options);
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise<unknown>((resolve, reject) => {
    const req = send(url, { ...options, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          reject(new KubeHttpError(`GET ${url.pathname}: HTTP ${status}: ${text.slice(0, 300)}`, status));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          reject(new Error(`GET ${url.pathname}: invalid JSON`, { cause: error }));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url.pathname}: no answer within ${timeoutMs} ms`)));
    req.on("error", (error) => reject(new Error(`GET ${url.pathname} failed`, { cause: error })));
    req.end();
  });
}

/**
 * A small JSON client for generating load on the API server: raw HTTPS requests with the
 * kubeconfig's credentials over one keep-alive agent, so hundreds of creates can be in flight without
 * a TLS handshake each and without a client-side rate limit. Non-2xx answers throw with the status.
 */
import { Agent, request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** The API server's answer to one request. */
export interface KubeAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface KubeApi {
  /** Sends one request; `body` is JSON-encoded. Throws on a non-2xx status (unless it is in `accept`). */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; contentType?: string; accept?: readonly number[] },
  ): Promise<KubeAnswer>;
  close(): void;
}

/** A client for the kubeconfig's current cluster with at most `maxSockets` connections. */
export async function createKubeApi(kubeConfig: KubeConfig, maxSockets: number): Promise<KubeApi> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error("kubeconfig has no current cluster");
  const tls: { ca?: unknown; cert?: unknown; key?: unknown } = {};
  await kubeConfig.applyToHTTPSOptions(tls as Parameters<KubeConfig["applyToHTTPSOptions"]>[0]);
  const agent = new Agent({
    keepAlive: true,
    maxSockets,
    ca: tls.ca as string,
    cert: tls.cert as string,
    key: tls.key as string,
  });
  return {
    call(method, path, options = {}) {
      const url = new URL(path, server);
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
      return new Promise<KubeAnswer>((resolve, reject) => {
        const req = request(
          url,
          {
            method,
            agent,
            timeout: 60_000,
            headers: {
              accept: "application/json",
              ...(payload === undefined
                ? {}
                : {
                    "content-type": options.contentType ?? "application/json",
                    "content-length": Buffer.byteLength(payload),
                  }),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", reject);
            res.on("end", () => {
              const status = res.statusCode ?? 0;
              const text = Buffer.concat(chunks).toString("utf8");
              if ((status < 200 || status > 299) && !options.accept?.includes(status)) {
                reject(new Error(`${method} ${url.pathname}: HTTP ${status}: ${text.slice(0, 300)}`));
                return;
              }
              let body: unknown;
              try {
                body = text === "" ? undefined : JSON.parse(text);
              } catch {
                body = text;
              }
              resolve({ status, body });
            });
          },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer within 60 s`)));
        req.on("error", reject);
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Runs `work` for every item with at most `limit` calls in flight; the first failure rejects. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

/**
 * Runs the webhook-mode `pod-admission` function in-process on 127.0.0.1, built from a configuration
 * file by the same runtime the container uses (no Kubernetes access: admission needs none), serving
 * AdmissionReviews over mutual TLS.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startPodAdmission } from "../../../functions/pod-admission/start.js";
import type { ServedApp } from "../../../lib/http/serve.js";
import { createRuntime, type Runtime } from "../../../lib/runtime/runtime.js";
import type { CertFiles } from "../harness/pki.js";
import { freePort } from "../harness/ports.js";

export interface WebhookFunctionOptions {
  /** Directory for the config file and the function's log. */
  readonly dir: string;
  /** Distinguishes several instances' files in one dir. */
  readonly name: string;
  readonly socketPath: string;
  /** Serving certificate (must name 127.0.0.1) and the CA client certificates must chain to. */
  readonly serving: CertFiles;
  readonly caCertPath: string;
  /** The configuration (HCL JSON form): `trust_domain`, `cluster`, identity keys, ... */
  readonly config: Readonly<Record<string, unknown>>;
  /** The port on 127.0.0.1 (default: a free one), when a webhook configuration already names it. */
  readonly port?: number;
  /** For the resync beside it, which reads the cluster (admission itself needs no Kubernetes access). */
  readonly kubeconfigPath?: string;
}

export interface WebhookFunction {
  readonly runtime: Runtime;
  /** `https://127.0.0.1:PORT/validate` */
  readonly url: string;
  readonly configPath: string;
  stop(): Promise<void>;
}

export async function startWebhookFunction(options: WebhookFunctionOptions): Promise<WebhookFunction> {
  const port = options.port ?? (await freePort());
  const configPath = join(options.dir, `${options.name}.conf.json`);
  await writeFile(
    configPath,
    JSON.stringify(
      {
        log_level: "debug",
        log_path: join(options.dir, `${options.name}.log`),
        ...options.config,
        mode: "webhook",
        server_socket_path: options.socketPath,
        addr: `127.0.0.1:${port}`,
        cert_path: options.serving.certPath,
        key_path: options.serving.keyPath,
        cacert_path: options.caCertPath,
      },
      null,
      2,
    ),
  );
  const runtime = await createRuntime({
    functionName: options.name,
    configPath,
    env: {},
    kubeconfigPath: options.kubeconfigPath,
  });
  let served: ServedApp[] = [];
  try {
    served = await startPodAdmission(runtime);
  } catch (error) {
    runtime.close();
    throw error;
  }
  return {
    runtime,
    url: `https://127.0.0.1:${port}/validate`,
    configPath,
    async stop() {
      await Promise.all(served.map((s) => s.close()));
      runtime.close();
    },
  };
}

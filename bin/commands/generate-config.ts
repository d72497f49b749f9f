/**
 * `registrar generate-config`: make webhook mode's certificates and print the Kubernetes and API
 * server documents as one YAML stream; with `--out-dir`, also write the registrar's PEM files and
 * the API server's two files. Usage errors exit 2, bad values 1.
 */
import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "../../lib/config/parse-config.js";
import {
  ADMISSION_KUBECONFIG_FILE,
  generateConfig,
  type OutputFile,
  outputFiles,
} from "../../lib/generate-config/generate-config.js";
import { KEY_ALGORITHM_NAMES } from "../../lib/generate-config/key-algorithm.js";
import {
  DEFAULTS,
  type GenerateConfigFlags,
  resolveOptions,
  splitNamespaceList,
} from "../../lib/generate-config/options.js";
import { type CliIo, type CommandRun, USAGE_EXIT_CODE, USAGE_LINE } from "../cli-io.js";
import { parseFlags, stringFlag, wantsHelp } from "../flags.js";

export const usage = `usage: registrar generate-config [flags]

Generate the CA, serving and API server client certificates for webhook mode and print, as one
YAML stream: the certificates ConfigMap, the key Secret, the API server's admission kubeconfig,
the ValidatingWebhookConfiguration and the API server's AdmissionConfiguration.

  -namespace NAME                  namespace of the registrar's Service (default "${DEFAULTS.namespace}")
  -service NAME                    name of the registrar's Service (default "${DEFAULTS.service}")
  -ca-key-alg ALG                  CA key algorithm (default "${DEFAULTS.keyAlgorithm}")
  -server-key-alg ALG              serving certificate key algorithm (default "${DEFAULTS.keyAlgorithm}")
  -client-key-alg ALG              API server client certificate key algorithm (default "${DEFAULTS.keyAlgorithm}")
                                   ALG is one of ${KEY_ALGORITHM_NAMES.join(", ")}
  -ttl DURATION                    certificate lifetime, a Go duration; 0 means no expiry (default "${DEFAULTS.ttl}")
  --failure-policy POLICY          webhook failurePolicy, Ignore or Fail (default "${DEFAULTS.failurePolicy}")
  --timeout-seconds N              webhook timeoutSeconds, 1 to 30 (default ${DEFAULTS.timeoutSeconds})
  --disabled-namespaces LIST       comma-separated namespaces the webhook skips
                                   (default "${DEFAULTS.disabledNamespaces.join(",")}")
  -config FILE                     take the skipped namespaces from this registrar configuration's
                                   disabled_namespaces instead
  --admission-kubeconfig-path PATH where API servers will find the admission kubeconfig
                                   (default "${DEFAULTS.admissionKubeconfigPath}")
  --webhook-url URL                the API server calls this https URL instead of the Service (a
                                   registrar outside the cluster); the serving certificate names its host
  --out-dir DIR                    also write cacert.pem, cert.pem, key.pem (the registrar's files),
                                   ${ADMISSION_KUBECONFIG_FILE} and admission-configuration.yaml into DIR
`;

const VALUE_FLAGS = [
  "namespace",
  "service",
  "ca-key-alg",
  "server-key-alg",
  "client-key-alg",
  "ttl",
  "failure-policy",
  "timeout-seconds",
  "disabled-namespaces",
  "webhook-url",
  "config",
  "admission-kubeconfig-path",
  "out-dir",
] as const;

const PREFIX = "registrar generate-config: ";

export const run: CommandRun = async (args, io) => {
  const flags = parseFlags(args, {
    ...Object.fromEntries(VALUE_FLAGS.map((name) => [name, { takesValue: true }])),
    help: { takesValue: false },
    h: { takesValue: false },
  });
  if (!flags.ok) return usageError(io, flags.error);
  if (flags.value.positionals.length > 0) {
    return usageError(io, `unexpected argument: ${flags.value.positionals[0]}`);
  }
  if (wantsHelp(flags.value)) {
    io.stdout.write(usage);
    return 0;
  }
  const text = (name: (typeof VALUE_FLAGS)[number]) => stringFlag(flags.value, name);
  const configPath = text("config");
  const disabledList = text("disabled-namespaces");
  if (configPath !== undefined && disabledList !== undefined) {
    return usageError(io, "give either --disabled-namespaces or -config, not both");
  }

  let disabledNamespaces: GenerateConfigFlags["disabledNamespaces"];
  if (disabledList !== undefined) {
    disabledNamespaces = { names: splitNamespaceList(disabledList), source: "--disabled-namespaces" };
  } else if (configPath !== undefined) {
    const loaded = loadConfig(configPath);
    if (!loaded.ok) return fail(io, loaded.error);
    for (const warning of loaded.value.warnings) io.stderr.write(`warning: ${warning}\n`);
    const { mode } = loaded.value.config;
    if (mode !== "webhook") {
      io.stderr.write(`warning: ${configPath}: mode is "${mode}", but these files are for webhook mode\n`);
    }
    disabledNamespaces = {
      names: loaded.value.config.disabledNamespaces,
      source: `${configPath} disabled_namespaces`,
    };
  }

  const options = resolveOptions({
    namespace: text("namespace"),
    service: text("service"),
    caKeyAlg: text("ca-key-alg"),
    serverKeyAlg: text("server-key-alg"),
    clientKeyAlg: text("client-key-alg"),
    ttl: text("ttl"),
    failurePolicy: text("failure-policy"),
    timeoutSeconds: text("timeout-seconds"),
    disabledNamespaces,
    admissionKubeconfigPath: text("admission-kubeconfig-path"),
    webhookUrl: text("webhook-url"),
  });
  if (!options.ok)
    return fail(
      io,
      options.error.map((message) => PREFIX + message),
    );

  const generated = await generateConfig(options.value, new Date(), globalThis.crypto);
  if (!generated.ok) return fail(io, [PREFIX + generated.error]);

  const outDir = text("out-dir");
  if (outDir !== undefined) {
    const directory = resolve(outDir);
    const files = outputFiles(
      options.value,
      generated.value.certificates,
      join(directory, ADMISSION_KUBECONFIG_FILE),
    );
    try {
      writeFiles(directory, files);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return fail(io, [`${PREFIX}cannot write to ${directory}: ${reason}`]);
    }
    io.stderr.write(`wrote ${files.map((file) => file.name).join(", ")} to ${directory}\n`);
  }
  io.stdout.write(generated.value.stream);
  return 0;
};

/**
 * Write each file through a fresh temporary file that is created with its final mode and then
 * renamed over the target, so a key is never readable by others, not even briefly, and a reader
 * never sees half a file.
 */
function writeFiles(directory: string, files: readonly OutputFile[]): void {
  mkdirSync(directory, { recursive: true });
  for (const file of files) {
    const target = join(directory, file.name);
    const temporary = join(directory, `.${file.name}.${randomUUID()}.tmp`);
    try {
      writeFileSync(temporary, file.content, { mode: file.mode, flag: "wx" });
      chmodSync(temporary, file.mode); // the umask may have narrowed the mode on creation
      renameSync(temporary, target);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }
}

function usageError(io: CliIo, reason: string): number {
  io.stderr.write(`${PREFIX}${reason}\n${USAGE_LINE}\n${usage}`);
  return USAGE_EXIT_CODE;
}

function fail(io: CliIo, messages: readonly string[]): number {
  for (const message of messages) io.stderr.write(`${message}\n`);
  return 1;
}

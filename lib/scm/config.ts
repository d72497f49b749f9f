/**
 * spire-controller-manager's ControllerManagerConfig (v0.6.6): the YAML file read into a typed config with
 * SCM's defaults and rules (scm-model §1): `gcInterval` as integer nanoseconds, the `reconcile` block taken
 * literally when present, the `.` appended to `entryIDPrefix` and `entryIDPrefixCleanup`, `ignoreNamespaces`
 * compiled as Go regexes, the parent ID template parsed, and SCM's fatal start-up errors in SCM's order. A
 * value of the wrong type is an error naming its key; unknown keys (which SCM ignores) come back as warnings.
 */
import { parse as parseYaml } from "yaml";
import { closestKey } from "../config/closest-key.js";
import { trustDomainFromString } from "../spiffe/id.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import { parseParentIdTemplate } from "./cluster-spiffeid.js";
import { parseGoDuration } from "./duration.js";
import { compileRe2 } from "./re2.js";
import type { Template } from "./template/index.js";

/** Which custom resources an SCM instance reconciles. */
export interface ReconcileConfig {
  readonly clusterSPIFFEIDs: boolean;
  readonly clusterFederatedTrustDomains: boolean;
  readonly clusterStaticEntries: boolean;
}

/** A ControllerManagerConfig with SCM's defaults applied and its start-up checks passed. */
export interface ScmConfig {
  /** The trust domain's name (`spiffe://td` is accepted and normalised, as SCM does). */
  readonly trustDomain: string;
  readonly clusterName: string;
  /** As configured; "" means SCM looks it up (CNAME of kubernetes.default.svc, see clusterDomainFromCname). */
  readonly clusterDomain: string;
  readonly ignoreNamespaces: readonly string[];
  /** The `ignoreNamespaces` patterns compiled (RE2 semantics, unanchored). */
  readonly ignoreNamespaceRegexps: readonly RegExp[];
  readonly validatingWebhookConfigurationName: string;
  readonly gcIntervalNanoseconds: bigint;
  readonly spireServerSocketPath: string;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  readonly logEncoding: "console" | "json";
  readonly grpcMaxCallRecvMsgSize: number | undefined;
  readonly className: string;
  readonly watchClassless: boolean;
  /** The configured `parentIDTemplate` parsed, or SCM's default. */
  readonly parentIdTemplate: Template;
  readonly reconcile: ReconcileConfig;
  /** With its trailing `.` ("" when unset). */
  readonly entryIdPrefix: string;
  /** Unset, "" (cleans entries whose ID has no `.`), or a prefix with its trailing `.`. */
  readonly entryIdPrefixCleanup: string | undefined;
  readonly staticManifestPath: string | undefined;
  readonly expandEnvStaticManifests: boolean;
  readonly enableEntryRenderCache: boolean;
  readonly entryRenderCacheSize: number;
  readonly cacheNamespaces: Readonly<Record<string, NamespaceCacheConfig>> | undefined;
  readonly leaderElect: boolean;
  readonly metricsBindAddress: string;
  readonly healthProbeBindAddress: string;
}

export interface NamespaceCacheConfig {
  readonly labelSelectors: Readonly<Record<string, string>>;
  readonly fieldSelectors: Readonly<Record<string, string>>;
}

export interface ParsedScmConfig {
  readonly config: ScmConfig;
  /** Unknown keys (SCM ignores them) and values SCM accepts but that misbehave. */
  readonly warnings: readonly string[];
}

export const DEFAULT_IGNORE_NAMESPACES: readonly string[] = ["kube-system", "kube-public", "spire-system"];
export const DEFAULT_GC_INTERVAL_NANOSECONDS = 10_000_000_000n;
export const DEFAULT_SPIRE_SERVER_SOCKET_PATH = "/spire-server/api.sock";
export const DEFAULT_ENTRY_RENDER_CACHE_SIZE = 300_000;
const API_VERSION = "spire.spiffe.io/v1alpha1";
const KIND = "ControllerManagerConfig";

type Kind =
  | "string"
  | "bool"
  | "int"
  | "strings"
  | "stringMap"
  | "intMap"
  | "duration"
  | Schema
  | { map: Schema };
interface Schema {
  readonly [key: string]: Kind;
}

/** Every key SCM's decoder reads, with its JSON type. */
const SCHEMA: Schema = {
  apiVersion: "string",
  kind: "string",
  clusterName: "string",
  clusterDomain: "string",
  trustDomain: "string",
  ignoreNamespaces: "strings",
  validatingWebhookConfigurationName: "string",
  gcInterval: "int",
  spireServerSocketPath: "string",
  logLevel: "string",
  logEncoding: "string",
  grpc: { maxCallRecvMsgSize: "int" },
  syncPeriod: "duration",
  leaderElection: {
    leaderElect: "bool",
    leaseDuration: "duration",
    renewDeadline: "duration",
    retryPeriod: "duration",
    resourceLock: "string",
    resourceName: "string",
    resourceNamespace: "string",
  },
  cacheNamespace: "string",
  cacheNamespaces: { map: { labelSelectors: "stringMap", fieldSelectors: "stringMap" } },
  gracefulShutDown: "duration",
  controller: { groupKindConcurrency: "intMap", cacheSyncTimeout: "int", recoverPanic: "bool" },
  metrics: { bindAddress: "string" },
  health: {
    healthProbeBindAddress: "string",
    readinessEndpointName: "string",
    livenessEndpointName: "string",
  },
  webhook: { port: "int", host: "string", certDir: "string" },
  className: "string",
  watchClassless: "bool",
  parentIDTemplate: "string",
  reconcile: { clusterSPIFFEIDs: "bool", clusterFederatedTrustDomains: "bool", clusterStaticEntries: "bool" },
  entryIDPrefix: "string",
  entryIDPrefixCleanup: "string",
  staticManifestPath: "string",
  expandEnvStaticManifests: "bool",
  enableEntryRenderCache: "bool",
  entryRenderCacheSize: "int",
};

export interface ParseScmConfigOptions {
  /** SCM's `-expand-env`: `$VAR` and `${VAR}` replaced from this environment (unset names become ""). */
  readonly expandEnv?: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads a ControllerManagerConfig file. The errors are every key with a value of the wrong type, or else the
 * first of SCM's start-up errors, each naming its key.
 */
export function parseScmConfig(
  text: string,
  options: ParseScmConfigOptions = {},
): Result<ParsedScmConfig, string[]> {
  const source = options.expandEnv === undefined ? text : expandEnv(text, options.expandEnv);
  let document: unknown;
  try {
    document = parseYaml(source, { version: "1.1" });
  } catch (error) {
    return fail([`the config is not valid YAML: ${(error as Error).message}`]);
  }
  if (document === null || document === undefined) document = {};
  if (typeof document !== "object" || Array.isArray(document))
    return fail(["the config must be a YAML mapping"]);
  return scmConfigFromValues(document as Record<string, unknown>);
}

/**
 * A ControllerManagerConfig already read into values (its YAML, or the registrar's HCL keys renamed to
 * SCM's): the same type checks, defaults and start-up errors as `parseScmConfig`.
 */
export function scmConfigFromValues(
  values: Readonly<Record<string, unknown>>,
): Result<ParsedScmConfig, string[]> {
  const warnings: string[] = [];
  const errors = checkTypes(values, SCHEMA, "", warnings);
  if (errors.length > 0) return fail(errors);
  const config = buildConfig(values, warnings);
  return config.ok ? ok({ config: config.value, warnings }) : fail([config.error]);
}

/** Type errors of known keys, and warnings for unknown ones (with the closest known key). */
function checkTypes(
  values: Readonly<Record<string, unknown>>,
  schema: Schema,
  path: string,
  warnings: string[],
): string[] {
  const errors: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const kind = schema[key];
    const name = path === "" ? key : `${path}.${key}`;
    if (kind === undefined) {
      const known = Object.keys(schema);
      const lowered = known.map((candidate) => candidate.toLowerCase());
      const suggestion = known[lowered.indexOf(closestKey(key, lowered) ?? "")];
      warnings.push(
        `unknown key ${name} (SCM ignores it)${suggestion === undefined ? "" : `; did you mean ${path === "" ? "" : `${path}.`}${suggestion}?`}`,
      );
      continue;
    }
    if (value === null) continue;
    errors.push(...checkValue(name, value, kind, warnings));
  }
  return errors;
}

function checkValue(name: string, value: unknown, kind: Kind, warnings: string[]): string[] {
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  switch (kind) {
    case "string":
      return typeof value === "string" ? [] : [`${name} must be a string, not ${describe(value)}`];
    case "bool":
      return typeof value === "boolean" ? [] : [`${name} must be true or false, not ${describe(value)}`];
    case "int":
      if (Number.isSafeInteger(value)) return [];
      if (name === "gcInterval" && typeof value === "string") {
        return [
          `gcInterval must be an integer number of nanoseconds (SCM's decoder reads no duration strings; 10s is 10000000000), not ${describe(value)}`,
        ];
      }
      return [`${name} must be an integer, not ${describe(value)}`];
    case "duration": {
      if (typeof value !== "string")
        return [`${name} must be a duration string such as 10h, not ${describe(value)}`];
      const parsed = parseGoDuration(value);
      return parsed.ok ? [] : [`${name}: ${parsed.error}`];
    }
    case "strings":
      return Array.isArray(value) && value.every((item) => typeof item === "string")
        ? []
        : [`${name} must be a list of strings, not ${describe(value)}`];
    case "stringMap":
      return isObject && Object.values(value).every((item) => typeof item === "string")
        ? []
        : [`${name} must be a mapping of strings, not ${describe(value)}`];
    case "intMap":
      return isObject && Object.values(value).every((item) => Number.isSafeInteger(item))
        ? []
        : [`${name} must be a mapping of integers, not ${describe(value)}`];
    default:
      if (!isObject) return [`${name} must be a mapping, not ${describe(value)}`];
      if ("map" in kind && typeof kind.map === "object") {
        return Object.entries(value).flatMap(([key, item]) =>
          item === null ? [] : checkValue(`${name}.${key}`, item, kind.map as Schema, warnings),
        );
      }
      return checkTypes(value as Record<string, unknown>, kind as Schema, name, warnings);
  }
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** SCM's defaults and start-up checks, in the order `parseConfig` and `run` apply them. */
function buildConfig(values: Readonly<Record<string, unknown>>, warnings: string[]): Result<ScmConfig> {
  const text = (key: string, fallback = ""): string =>
    typeof values[key] === "string" ? (values[key] as string) : fallback;
  const flag = (key: string): boolean => values[key] === true;
  const section = (key: string): Readonly<Record<string, unknown>> | undefined =>
    typeof values[key] === "object" && values[key] !== null
      ? (values[key] as Record<string, unknown>)
      : undefined;
  if (text("apiVersion") !== API_VERSION) {
    return fail(`apiVersion must be ${API_VERSION}, not ${describe(values.apiVersion ?? "")}`);
  }
  if (text("kind") !== KIND) return fail(`kind must be ${KIND}, not ${describe(values.kind ?? "")}`);
  const cacheNamespaces = section("cacheNamespaces");
  if (
    text("cacheNamespace") !== "" &&
    cacheNamespaces !== undefined &&
    Object.keys(cacheNamespaces).length > 0
  ) {
    return fail("cacheNamespace or cacheNamespaces can be used, but not both");
  }
  const ignoreNamespaces = Array.isArray(values.ignoreNamespaces)
    ? (values.ignoreNamespaces as string[])
    : DEFAULT_IGNORE_NAMESPACES;
  const ignoreNamespaceRegexps: RegExp[] = [];
  for (const pattern of ignoreNamespaces) {
    const regexp = compileRe2(pattern);
    if (!regexp.ok)
      return fail(`ignoreNamespaces: unable to compile ignore namespaces regex: ${regexp.error}`);
    ignoreNamespaceRegexps.push(regexp.value);
  }
  const logLevel = text("logLevel", "info").toLowerCase() || "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    return fail(`logLevel: unable to parse log level: invalid log level: ${describe(values.logLevel)}`);
  }
  const logEncoding = text("logEncoding", "console") || "console";
  if (logEncoding !== "console" && logEncoding !== "json") {
    return fail(`logEncoding: unrecognized log encoding: ${logEncoding}`);
  }
  const parentIdTemplate = parseParentIdTemplate(text("parentIDTemplate"));
  if (!parentIdTemplate.ok)
    return fail(`parentIDTemplate: unable to parse parent ID template: ${parentIdTemplate.error}`);
  const staticManifestPath =
    typeof values.staticManifestPath === "string" ? values.staticManifestPath : undefined;
  const reconcile = reconcileConfig(section("reconcile"), staticManifestPath !== undefined);
  const leaderElect = section("leaderElection")?.leaderElect === true;
  if (staticManifestPath !== undefined) {
    if (leaderElect) return fail("leaderElection: the Leader election is not possible with static manifests");
    if (reconcile.clusterSPIFFEIDs) {
      return fail(
        "reconcile.clusterSPIFFEIDs: ClusterSPIFFEID reconciliation is not possible with static manifests",
      );
    }
  }
  const entryIdPrefix = withDot(text("entryIDPrefix"));
  const cleanup =
    typeof values.entryIDPrefixCleanup === "string" ? withDot(values.entryIDPrefixCleanup) : undefined;
  if (entryIdPrefix !== "" && cleanup === entryIdPrefix) {
    return fail(
      "entryIDPrefixCleanup: if entryIDPrefixCleanup is specified, it can not be the same value as entryIDPrefix",
    );
  }
  if (text("trustDomain") === "") return fail("trustDomain: trust domain is required configuration");
  if (text("clusterName") === "") return fail("clusterName: cluster name is required configuration");
  const webhookName = text("validatingWebhookConfigurationName", "spire-controller-manager-webhook");
  if (webhookName === "") {
    return fail(
      "validatingWebhookConfigurationName: validating webhook configuration name is required configuration",
    );
  }
  const trustDomain = trustDomainFromString(text("trustDomain"));
  if (!trustDomain.ok) return fail(`trustDomain: invalid trust domain name: ${trustDomain.error}`);
  const gcInterval =
    typeof values.gcInterval === "number" ? BigInt(values.gcInterval) : DEFAULT_GC_INTERVAL_NANOSECONDS;
  if (gcInterval <= 0n)
    warnings.push(
      `gcInterval ${gcInterval} makes SCM v0.6.6 reconcile without pause (later versions use 10s)`,
    );
  const certDir = section("webhook")?.certDir;
  if (typeof certDir === "string" && certDir !== "")
    warnings.push("webhook.certDir is ignored, as SCM ignores it");
  const cacheSize = typeof values.entryRenderCacheSize === "number" ? values.entryRenderCacheSize : 0;
  return ok({
    trustDomain: trustDomain.value,
    clusterName: text("clusterName"),
    clusterDomain: text("clusterDomain"),
    ignoreNamespaces,
    ignoreNamespaceRegexps,
    validatingWebhookConfigurationName: webhookName,
    gcIntervalNanoseconds: gcInterval,
    spireServerSocketPath: text("spireServerSocketPath") || DEFAULT_SPIRE_SERVER_SOCKET_PATH,
    logLevel: logLevel as ScmConfig["logLevel"],
    logEncoding,
    grpcMaxCallRecvMsgSize: positiveInt(section("grpc")?.maxCallRecvMsgSize),
    className: text("className"),
    watchClassless: flag("watchClassless"),
    parentIdTemplate: parentIdTemplate.value,
    reconcile,
    entryIdPrefix,
    entryIdPrefixCleanup: cleanup,
    staticManifestPath,
    expandEnvStaticManifests: flag("expandEnvStaticManifests"),
    enableEntryRenderCache: flag("enableEntryRenderCache"),
    entryRenderCacheSize: cacheSize > 0 ? cacheSize : DEFAULT_ENTRY_RENDER_CACHE_SIZE,
    cacheNamespaces: namespaceCaches(text("cacheNamespace"), cacheNamespaces),
    leaderElect,
    metricsBindAddress: String(section("metrics")?.bindAddress ?? ""),
    healthProbeBindAddress: String(section("health")?.healthProbeBindAddress ?? ""),
  });
}

/** SCM's `reconcile` defaults: all on when the block is absent (ClusterSPIFFEIDs off in static mode). */
function reconcileConfig(
  block: Readonly<Record<string, unknown>> | undefined,
  staticMode: boolean,
): ReconcileConfig {
  if (block === undefined) {
    return { clusterSPIFFEIDs: !staticMode, clusterFederatedTrustDomains: true, clusterStaticEntries: true };
  }
  return {
    clusterSPIFFEIDs: block.clusterSPIFFEIDs === true,
    clusterFederatedTrustDomains: block.clusterFederatedTrustDomains === true,
    clusterStaticEntries: block.clusterStaticEntries === true,
  };
}

function namespaceCaches(
  single: string,
  many: Readonly<Record<string, unknown>> | undefined,
): Readonly<Record<string, NamespaceCacheConfig>> | undefined {
  if (single !== "") return { [single]: { labelSelectors: {}, fieldSelectors: {} } };
  if (many === undefined || Object.keys(many).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(many).map(([namespace, settings]) => {
      const entry = (settings ?? {}) as Record<string, Record<string, string> | null | undefined>;
      return [
        namespace,
        { labelSelectors: entry.labelSelectors ?? {}, fieldSelectors: entry.fieldSelectors ?? {} },
      ];
    }),
  );
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === "number" && value > 0 ? value : undefined;
}

/** SCM's `addDotSuffix`. */
function withDot(value: string): string {
  return value !== "" && !value.endsWith(".") ? `${value}.` : value;
}

/**
 * Go's `os.ExpandEnv` over the config text: `$NAME` and `${NAME}` (and the special `$1`, `$*`, ...) become
 * their value, unset names "". A `$` before anything else stays; malformed `${` is dropped as Go drops it.
 */
export function expandEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  let out = "";
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf("$", index);
    if (dollar === -1 || dollar === text.length - 1) {
      out += text.slice(index);
      break;
    }
    out += text.slice(index, dollar);
    const { name, width } = shellName(text.slice(dollar + 1));
    if (name === "" && width === 0) {
      out += "$";
      index = dollar + 1;
      continue;
    }
    if (name !== "") out += env[name] ?? "";
    index = dollar + 1 + width;
  }
  return out;
}

/** Go's `getShellName`: the variable name after a `$` and how many characters it takes. */
function shellName(text: string): { name: string; width: number } {
  const special = (char: string | undefined): boolean => char !== undefined && /^[*#$@!?\-0-9]$/.test(char);
  if (text.startsWith("{")) {
    if (text.length > 2 && special(text[1]) && text[2] === "}") return { name: text[1] ?? "", width: 3 };
    const close = text.indexOf("}");
    if (close === -1) return { name: "", width: 1 };
    if (close === 1) return { name: "", width: 2 };
    return { name: text.slice(1, close), width: close + 1 };
  }
  if (special(text[0])) return { name: text[0] ?? "", width: 1 };
  const name = /^[A-Za-z0-9_]*/.exec(text)?.[0] ?? "";
  return { name, width: name.length };
}

/**
 * SCM's cluster domain from the CNAME of `kubernetes.default.svc` (the lookup itself is I/O): the name must
 * start with `kubernetes.default.svc.`; that prefix and one trailing dot are removed.
 */
export function clusterDomainFromCname(cname: string): Result<string> {
  const prefix = "kubernetes.default.svc.";
  if (!cname.startsWith(prefix)) return fail("CNAME did not have expected prefix");
  const domain = cname.slice(prefix.length).replace(/\.$/, "");
  return domain === "" ? fail("CNAME did not have a cluster domain") : ok(domain);
}

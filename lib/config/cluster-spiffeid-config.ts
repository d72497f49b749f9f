/**
 * cluster-spiffeid mode's configuration, in either of its two forms: the registrar's HCL file with
 * `mode = "cluster-spiffeid"` (SCM's ControllerManagerConfig keys in snake_case), or spire-controller-manager's
 * ControllerManagerConfig YAML file as it is. Both end as a `Config` whose `clusterSpiffeId` holds the
 * settings checked by SCM's own rules (lib/scm/config.ts).
 */
import * as v from "valibot";
import { type ParsedScmConfig, parseScmConfig, scmConfigFromValues } from "../scm/config.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import type { Config, LogLevelName } from "./config.js";
import { CONFIG_KEYS } from "./keys.js";
import { ConfigSchema } from "./schema.js";

/** The HCL key of each SCM key an error message can start with. */
const HCL_KEY_OF: Readonly<Record<string, string>> = {
  trustDomain: "trust_domain",
  clusterName: "cluster",
  clusterDomain: "cluster_domain",
  ignoreNamespaces: "ignore_namespaces",
  className: "class_name",
  watchClassless: "watch_classless",
  parentIDTemplate: "parent_id_template",
  entryIDPrefix: "entry_id_prefix",
  entryIDPrefixCleanup: "entry_id_prefix_cleanup",
};

/**
 * SCM's settings from the HCL keys; each error starts with the HCL key it concerns. `cleanupWritten`: whether
 * the file sets `entry_id_prefix_cleanup` (to "" too, which SCM reads as "delete entries without a `.`").
 */
export function clusterSpiffeIdSettings(
  config: Config,
  cleanupWritten: boolean,
): Result<ParsedScmConfig, string[]> {
  const parsed = scmConfigFromValues({
    apiVersion: "spire.spiffe.io/v1alpha1",
    kind: "ControllerManagerConfig",
    trustDomain: config.trustDomain,
    clusterName: config.cluster,
    clusterDomain: config.clusterDomain,
    ignoreNamespaces: config.ignoreNamespaces,
    className: config.className,
    watchClassless: config.watchClassless,
    entryIDPrefix: config.entryIdPrefix,
    ...(config.parentIdTemplate !== "" && { parentIDTemplate: config.parentIdTemplate }),
    ...(cleanupWritten && { entryIDPrefixCleanup: config.entryIdPrefixCleanup }),
  });
  if (parsed.ok) return parsed;
  return fail(
    parsed.error.map((message) => {
      const key = message.split(":")[0] ?? "";
      const hclKey = HCL_KEY_OF[key];
      return hclKey === undefined ? message : `${hclKey}${message.slice(key.length)}`;
    }),
  );
}

/** Whether a config file is a ControllerManagerConfig (YAML) rather than the registrar's HCL. */
export function isControllerManagerConfig(text: string): boolean {
  return /^kind:\s*["']?ControllerManagerConfig["']?\s*(#.*)?$/m.test(text);
}

/**
 * A ControllerManagerConfig file as the registrar's `Config`: mode cluster-spiffeid, SCM's trust domain,
 * cluster name, socket, log level, metrics address and leader election, every other key at its default.
 * Errors and warnings are prefixed with `path`.
 */
export function configFromControllerManagerConfig(
  text: string,
  path: string,
  env: Readonly<Record<string, string | undefined>> | undefined,
): Result<{ config: Config; warnings: string[] }, string[]> {
  const parsed = parseScmConfig(text, env === undefined ? {} : { expandEnv: env });
  if (!parsed.ok) return fail(parsed.error.map((message) => `${path}: ${message}`));
  const scm = parsed.value.config;
  const defaults = Object.fromEntries(CONFIG_KEYS.map((spec) => [spec.field, spec.default]));
  const draft = {
    ...defaults,
    mode: "cluster-spiffeid",
    logLevel: scm.logLevel satisfies LogLevelName,
    logFormat: scm.logEncoding === "json" ? "json" : "text",
    trustDomain: scm.trustDomain,
    cluster: scm.clusterName,
    serverSocketPath: scm.spireServerSocketPath,
    serverAddress: `unix://${scm.spireServerSocketPath}`,
    spireTimeoutMs: 5_000,
    leaderElection: scm.leaderElect,
    ...(scm.metricsBindAddress !== "" && { metricsAddr: scm.metricsBindAddress }),
    clusterDomain: scm.clusterDomain,
    ignoreNamespaces: scm.ignoreNamespaces,
    className: scm.className,
    watchClassless: scm.watchClassless,
    entryIdPrefix: scm.entryIdPrefix,
    entryIdPrefixCleanup: scm.entryIdPrefixCleanup ?? "",
    clusterSpiffeId: scm,
  };
  const config = v.parse(ConfigSchema, draft);
  return ok({ config: Object.freeze(config), warnings: parsed.value.warnings.map((w) => `${path}: ${w}`) });
}

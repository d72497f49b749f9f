/**
 * The valibot schema of a finished `Config`. `parseConfig` has already reported every user error
 * with the original's messages; this schema guards the shape handed to the rest of the program,
 * so a failure here is a bug in the config code, not in the file.
 */
import * as v from "valibot";
import type { ScmConfig } from "../scm/config.js";
import type { Config } from "./config.js";

const text = v.string();
const flag = v.boolean();
const positiveInteger = v.pipe(v.number(), v.integer(), v.minValue(1));

export const ConfigSchema: v.GenericSchema<unknown, Config> = v.strictObject({
  mode: v.picklist(["webhook", "reconcile", "crd", "cluster-spiffeid"]),
  logLevel: v.picklist(["panic", "fatal", "error", "warn", "warning", "info", "debug", "trace"]),
  logPath: text,
  logFormat: v.picklist(["json", "text"]),
  trustDomain: v.pipe(v.string(), v.regex(/^[a-z0-9._-]+$/)),
  serverAddress: v.pipe(v.string(), v.nonEmpty()),
  serverSocketPath: text,
  agentSocketPath: text,
  cluster: v.pipe(v.string(), v.nonEmpty()),
  podLabel: text,
  podAnnotation: text,
  disabledNamespaces: v.array(text),
  addr: text,
  certPath: text,
  keyPath: text,
  caCertPath: text,
  insecureSkipClientVerification: flag,
  webhookFailClosed: flag,
  leaderElection: flag,
  leaderElectionResourceLock: text,
  leaderElectionNamespace: text,
  metricsAddr: text,
  eventAck: v.picklist(["processed", "accepted"]),
  controllerName: text,
  addPodDnsNames: flag,
  clusterDnsZone: text,
  endpointsSource: v.picklist(["endpointslices", "endpoints"]),
  addSvcDnsName: flag,
  metricsBindAddr: text,
  podController: flag,
  webhookEnabled: flag,
  webhookCertDir: text,
  webhookPort: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  webhookServiceName: text,
  identityTemplate: text,
  identityTemplateLabel: text,
  context: v.record(v.string(), v.string()),
  dnsNameTemplates: v.array(text),
  spireTimeout: v.pipe(v.string(), v.nonEmpty()),
  spireTimeoutMs: v.pipe(v.number(), v.minValue(100), v.maxValue(600_000)),
  entryBatchSize: positiveInteger,
  entryConcurrency: positiveInteger,
  maxRequestBytes: positiveInteger,
  downstreamNamespaces: v.array(text),
  adminNamespaces: v.array(text),
  allowCrossNamespaceIds: flag,
  clusterDomain: text,
  ignoreNamespaces: v.array(text),
  className: text,
  watchClassless: flag,
  parentIdTemplate: text,
  entryIdPrefix: text,
  entryIdPrefixCleanup: text,
  clusterSpiffeIdTenantRules: flag,
  clusterSpiffeIdAdminGroups: v.array(text),
  clusterSpiffeIdDownstreamGroups: v.array(text),
  clusterSpiffeId: v.optional(v.custom<ScmConfig>((value) => typeof value === "object" && value !== null)),
});

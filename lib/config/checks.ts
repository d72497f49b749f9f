/**
 * The semantic checks on a decoded config, in the original's order and with its exact messages
 * (reference §1.4 and §1.6), followed by this project's own checks. Every failing check is
 * reported, in order, rather than only the first.
 */
import { trustDomainError } from "../spiffe/trust-domain.js";
import type { Config } from "./config.js";

/** A config whose values are decoded and defaulted but not yet checked. */
export type DraftConfig = { -readonly [K in keyof Config]: Config[K] };

/** Facts about the file the checks need beyond the values. */
export interface DraftFacts {
  /** Whether a `context` key was present (the original checks for a nil map). */
  readonly hasContext: boolean;
  /** The raw `mode`, `log_level` and `log_format` strings, to quote in messages. */
  readonly rawMode: string;
  readonly rawLogLevel: string;
  readonly rawLogFormat: string;
  readonly lineOf: (key: string) => number | undefined;
}

const COMMON = "error parsing common config: ";
const MODES: readonly string[] = ["crd", "webhook", "reconcile"];
const LOG_LEVELS: readonly string[] = [
  "panic",
  "fatal",
  "error",
  "warn",
  "warning",
  "info",
  "debug",
  "trace",
];
const LOG_FORMATS: readonly string[] = ["", "json", "text"];
const CONTEXT_REFERENCE = "{{.Context.";

/**
 * Run all checks on `draft`, completing it where the original derived values (server_address).
 * Returns the error messages; empty means valid.
 */
export function checkDraft(draft: DraftConfig, facts: DraftFacts): string[] {
  const errors: string[] = [];
  const common = (message: string) => errors.push(COMMON + message);

  if (draft.serverAddress === "") {
    if (draft.serverSocketPath !== "") draft.serverAddress = `unix://${draft.serverSocketPath}`;
    else common("server_address or server_socket_path must be specified");
  }
  if (
    draft.serverAddress !== "" &&
    !draft.serverAddress.startsWith("unix://") &&
    draft.agentSocketPath === ""
  ) {
    common("agent_socket_path must be specified if the server is not a local socket");
  }
  if (draft.trustDomain === "") {
    common("trust_domain must be specified");
  } else {
    const reason = trustDomainError(draft.trustDomain);
    if (reason !== undefined) common(`malformed trust domain: ${reason}${bareNameHint(draft.trustDomain)}`);
  }
  if (draft.cluster === "") common("cluster must be specified");
  if (draft.podLabel !== "" && draft.podAnnotation !== "") {
    common(
      "workload registration mode specification is incorrect, can't specify both pod_label and pod_annotation",
    );
  }
  if (!MODES.includes(facts.rawMode)) {
    // JSON.stringify quotes as the original's Go %q did (a line break shows as \n).
    common(`invalid mode ${JSON.stringify(facts.rawMode)}, valid values are crd, webhook and reconcile`);
  }

  if (!LOG_LEVELS.includes(facts.rawLogLevel.toLowerCase())) {
    errors.push(`error setting up logging: not a valid logrus Level: ${JSON.stringify(facts.rawLogLevel)}`);
  }
  if (!LOG_FORMATS.includes(facts.rawLogFormat.toLowerCase())) {
    errors.push(`error setting up logging: unknown logger format: ${JSON.stringify(facts.rawLogFormat)}`);
  }

  const positive = (key: string, value: number) => {
    if (value < 1) errors.push(`${key}: expected a positive number, got ${value}${lineSuffix(facts, key)}`);
  };
  positive("entry_batch_size", draft.entryBatchSize);
  positive("entry_concurrency", draft.entryConcurrency);
  if (draft.webhookPort < 1 || draft.webhookPort > 65535) {
    errors.push(
      `webhook_port: expected a port number, got ${draft.webhookPort}${lineSuffix(facts, "webhook_port")}`,
    );
  }

  if (draft.identityTemplate !== "" && (draft.podAnnotation !== "" || draft.podLabel !== "")) {
    errors.push(
      "workload registration configuration is incorrect, can only use one of identity_template, pod_annotation, or pod_label",
    );
  }
  if (!facts.hasContext) {
    if (referencesContext(draft.identityTemplate))
      errors.push("identity_template references non-existing context");
    if (draft.dnsNameTemplates.some(referencesContext)) {
      errors.push("dns_name_template references non-existing context");
    }
  }

  if (draft.eventAck !== "processed" && draft.eventAck !== "accepted") {
    errors.push(
      `event_ack: expected "processed" or "accepted", got ${JSON.stringify(draft.eventAck)}${lineSuffix(facts, "event_ack")}`,
    );
  }

  const electsLeader = facts.rawMode === "reconcile" || facts.rawMode === "crd";
  if (electsLeader && draft.leaderElection && draft.leaderElectionResourceLock === "configmaps") {
    errors.push('the "configmaps" leader election resource lock type is no longer supported');
  }
  return errors;
}

function referencesContext(template: string): boolean {
  return template.replaceAll(" ", "").includes(CONTEXT_REFERENCE);
}

function lineSuffix(facts: DraftFacts, key: string): string {
  const line = facts.lineOf(key);
  return line === undefined ? "" : ` (line ${line})`;
}

/** For `spiffe://example.org`: the hint to write the bare name, as the key wants it. */
function bareNameHint(trustDomain: string): string {
  if (!trustDomain.toLowerCase().startsWith("spiffe://")) return "";
  const bare = trustDomain.slice("spiffe://".length).split("/")[0];
  return `; write the bare name: trust_domain = ${JSON.stringify(bare)}`;
}

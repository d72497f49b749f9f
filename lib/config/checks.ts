/**
 * The semantic checks on a decoded config, in the original's order and with its exact messages
 * (reference §1.4 and §1.6), followed by this project's own checks. Every failing check is
 * reported, in order, rather than only the first.
 */
import { trustDomainError } from "../spiffe/trust-domain.js";
import type { Config } from "./config.js";
import { valueErrors } from "./value-checks.js";

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
const MODES: readonly string[] = ["crd", "webhook", "reconcile", "cluster-spiffeid"];
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
  const at = (key: string) => lineSuffix(facts, key);
  const writtenServerAddress = draft.serverAddress;

  if (draft.serverAddress === "") {
    if (draft.serverSocketPath !== "") draft.serverAddress = `unix://${draft.serverSocketPath}`;
    else common("server_address or server_socket_path must be specified");
  }
  if (
    draft.serverAddress !== "" &&
    !draft.serverAddress.startsWith("unix://") &&
    draft.agentSocketPath === ""
  ) {
    common(`agent_socket_path must be specified if the server is not a local socket${at("server_address")}`);
  }
  if (draft.trustDomain === "") {
    common("trust_domain must be specified");
  } else {
    const reason = trustDomainError(draft.trustDomain);
    if (reason !== undefined)
      common(`malformed trust domain: ${reason}${at("trust_domain")}${bareNameHint(draft.trustDomain)}`);
  }
  if (draft.cluster === "") common("cluster must be specified");
  if (draft.podLabel !== "" && draft.podAnnotation !== "") {
    common(
      `workload registration mode specification is incorrect, can't specify both pod_label and pod_annotation${at("pod_annotation")}`,
    );
  }
  if (!MODES.includes(facts.rawMode)) {
    // JSON.stringify quotes as the original's Go %q did (a line break shows as \n).
    common(
      `invalid mode ${JSON.stringify(facts.rawMode)}, valid values are crd, webhook, reconcile and cluster-spiffeid${at("mode")}`,
    );
  }

  if (!LOG_LEVELS.includes(facts.rawLogLevel.toLowerCase())) {
    errors.push(
      `error setting up logging: not a valid logrus Level: ${JSON.stringify(facts.rawLogLevel)}${at("log_level")}`,
    );
  }
  if (!LOG_FORMATS.includes(facts.rawLogFormat.toLowerCase())) {
    errors.push(
      `error setting up logging: unknown logger format: ${JSON.stringify(facts.rawLogFormat)}${at("log_format")}`,
    );
  }

  errors.push(...valueErrors({ ...draft, serverAddress: writtenServerAddress }, at));

  if (draft.identityTemplate !== "" && (draft.podAnnotation !== "" || draft.podLabel !== "")) {
    errors.push(
      `workload registration configuration is incorrect, can only use one of identity_template, pod_annotation, or pod_label${at("identity_template")}`,
    );
  }
  if (!facts.hasContext) {
    if (referencesContext(draft.identityTemplate))
      errors.push(`identity_template references non-existing context${at("identity_template")}`);
    if (draft.dnsNameTemplates.some(referencesContext)) {
      errors.push(`dns_name_template references non-existing context${at("dns_name_templates")}`);
    }
  }

  const electsLeader = facts.rawMode !== "webhook";
  if (electsLeader && draft.leaderElection && draft.leaderElectionResourceLock === "configmaps") {
    errors.push(
      `the "configmaps" leader election resource lock type is no longer supported${at("leader_election_resource_lock")}`,
    );
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

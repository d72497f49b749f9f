/**
 * The full pass of cluster-spiffeid mode (the resync, and events only a full pass can answer): every custom
 * resource, namespace, node, pod and EndpointSlice, every SPIRE entry (paged), the writes that make SPIRE hold
 * exactly the declared entries, then the custom resources' status as SCM writes it; and the federation pass
 * over ClusterFederatedTrustDomains and SPIRE's relationships.
 */
import { LogField } from "../log/log-fields.js";
import { planFederation } from "../scm/index.js";
import { applyEntryPlan, applyFederationPlan } from "./apply.js";
import { emptyScmSummary, phase, type ScmResult, type ScmSummary, type ScmSyncContext } from "./context.js";
import { readEntriesPassState, readFederationPassResources } from "./full-pass-state.js";
import {
  type CustomResourceStatus,
  decideEntriesPass,
  entriesPassEnabled,
  federationPassEnabled,
  statusesAfterApply,
} from "./plan-pass.js";

export interface FullPassScope {
  /** Entries and the ClusterSPIFFEID / ClusterStaticEntry statuses. */
  readonly entries: boolean;
  /** Federation relationships. */
  readonly federation: boolean;
}

export async function runFullPass(
  context: ScmSyncContext,
  scope: FullPassScope = { entries: true, federation: true },
): Promise<ScmResult> {
  const summary = emptyScmSummary();
  const { config } = context;
  if (scope.entries && entriesPassEnabled(config)) {
    const failed = await entriesPass(context, summary);
    if (failed !== undefined) return failed;
  }
  if (scope.federation && federationPassEnabled(config)) {
    const failed = await federationPass(context, summary);
    if (failed !== undefined) return failed;
  }
  return { ok: true, summary };
}

async function entriesPass(context: ScmSyncContext, summary: ScmSummary): Promise<ScmResult | undefined> {
  const { cluster, config, logger } = context;
  const [state, clusterDomain] = await phase(context, "full", "kubernetes_read", () =>
    Promise.all([readEntriesPassState(cluster, config), context.clusterDomain()]),
  );
  const current = await phase(context, "full", "spire_list", () => context.spire.listEntries());
  if (!current.ok) return failure(current.error, summary);
  const { declaration, plan } = await phase(context, "full", "render", () =>
    decideEntriesPass(state, current.value, config, {
      clusterDomain,
      unsupportedFields: context.unsupportedFields,
      newUuid: context.newUuid,
    }),
  );
  summary.renderFailures = declaration.renderFailures.length;
  for (const failure of declaration.renderFailures)
    logger.warn(
      {
        [LogField.namespace]: failure.pod.namespace,
        [LogField.pod]: failure.pod.name,
        cluster_spiffeid: failure.clusterSpiffeId.name,
      },
      `failed to render an entry for the pod: ${failure.error}`,
    );
  for (const item of declaration.clusterSpiffeIds)
    if (item.specError !== undefined)
      logger.warn(
        { cluster_spiffeid: item.resource.name },
        `invalid ClusterSPIFFEID spec: ${item.specError.message}`,
      );
  const applied = await phase(context, "full", "spire_write", () => applyEntryPlan(context, plan, summary));
  if (applied.failure !== undefined) return failure(applied.failure, summary);
  await phase(context, "full", "status_write", () =>
    writeStatuses(context, statusesAfterApply(declaration, state, applied.outcome), summary),
  );
  for (const resource of [...state.clusterSpiffeIds, ...state.clusterStaticEntries]) {
    const { uid, generation } = resource.metadata ?? {};
    if (uid !== undefined && generation !== undefined) context.passedGenerations.set(uid, generation);
  }
  return undefined;
}

/** SCM's status writes: a ClusterSPIFFEID's `status.stats`, a ClusterStaticEntry's `status`, only when changed. */
async function writeStatuses(
  context: ScmSyncContext,
  statuses: readonly CustomResourceStatus[],
  summary: ScmSummary,
): Promise<void> {
  for (const write of statuses) {
    if (!write.changed) continue;
    try {
      await context.cluster.writeStatus(write.resource, write.name, write.status);
      summary.statusWrites++;
    } catch (error) {
      // A CR deleted since it was listed, or a conflict: the next pass writes it again.
      context.logger.warn(
        { [LogField.kind]: write.resource, [LogField.name]: write.name },
        `could not write the status: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

async function federationPass(context: ScmSyncContext, summary: ScmSummary): Promise<ScmResult | undefined> {
  const [resources, current] = await Promise.all([
    phase(context, "full", "kubernetes_read", () =>
      readFederationPassResources(context.cluster, context.config),
    ),
    phase(context, "full", "spire_list", () => context.federation.list()),
  ]);
  if (!current.ok) return failure(current.error, summary);
  const plan = planFederation(resources, current.value, context.config);
  for (const ignored of plan.ignored)
    context.logger.warn(
      { cluster_federated_trust_domain: ignored.name },
      ignored.reason === "invalid"
        ? `invalid ClusterFederatedTrustDomain spec: ${typeof ignored.detail === "string" ? ignored.detail : ignored.detail.message}`
        : `its trust domain is already declared by ClusterFederatedTrustDomain ${String(ignored.detail)}`,
    );
  const failed = await phase(context, "full", "spire_write", () =>
    applyFederationPlan(context, plan, summary),
  );
  return failed === undefined ? undefined : failure(failed, summary);
}

function failure(error: { message: string; retryable: boolean }, summary: ScmSummary): ScmResult {
  return { ok: false, message: error.message, retryable: error.retryable, summary };
}

/**
 * What parity-cluster-spiffeid.test.ts compares, and how it drives spire-controller-manager's custom
 * resources: SPIRE entries with every field SCM writes (the TTLs, hint and `store_svid` too, which the
 * harness's `NormalEntry` leaves out for the older servers), the federation relationships, and the three
 * cluster-scoped resources (create, list, delete, their status).
 */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { type NormalEntry, parseJsonEntries } from "../harness/entries.js";
import type { SpireServer } from "../harness/spire.js";
import { eventually } from "./eventually.js";

/**
 * The entry spire-controller-manager's unsupported-fields probe creates and deletes again (every 10 minutes);
 * the comparison does not count it when a read catches it.
 */
const PROBE_ID = "/spire-controller-manager/unsupported-fields-test";

/** An entry as compared: `NormalEntry` with every field set, plus `store_svid`. */
export interface ScmEntry extends Required<NormalEntry> {
  storeSvid: boolean;
}

/** Every entry of `server` (current release), normalised and sorted, without SCM's probe entry. */
export async function readScmEntries(server: SpireServer): Promise<ScmEntry[]> {
  const result = await server.cli(["entry", "show", "-output", "json"]);
  if (result.code !== 0)
    throw new Error(`spire-server entry show failed (exit ${result.code}): ${result.stderr}${result.stdout}`);
  const normal = parseJsonEntries(result.stdout);
  const raw = (JSON.parse(result.stdout) as { entries?: { store_svid?: boolean }[] | null }).entries ?? [];
  // parseJsonEntries keeps the server's order; it is sorted here, after store_svid is joined.
  return normal
    .map((entry, index) => ({
      ...entry,
      jwtSvidTtl: entry.jwtSvidTtl ?? 0,
      hint: entry.hint ?? "",
      storeSvid: raw[index]?.store_svid ?? false,
    }))
    .filter((entry) => !entry.spiffeId.endsWith(PROBE_ID))
    .sort((a, b) => compare(entryKey(a), entryKey(b)));
}

/** Which entries (as multisets of every compared field) only one side has. */
export interface ScmEntryDiff {
  readonly onlyInProject: ScmEntry[];
  readonly onlyInScm: ScmEntry[];
}

export function diffScmEntries(project: readonly ScmEntry[], scm: readonly ScmEntry[]): ScmEntryDiff {
  const key = (entry: ScmEntry) => JSON.stringify(entry);
  const count = new Map<string, number>();
  for (const entry of scm) count.set(key(entry), (count.get(key(entry)) ?? 0) + 1);
  const onlyInProject: ScmEntry[] = [];
  for (const entry of project) {
    const left = count.get(key(entry)) ?? 0;
    if (left > 0) count.set(key(entry), left - 1);
    else onlyInProject.push(entry);
  }
  const onlyInScm: ScmEntry[] = [];
  for (const entry of scm) {
    const left = count.get(key(entry)) ?? 0;
    if (left > 0) {
      count.set(key(entry), left - 1);
      onlyInScm.push(entry);
    }
  }
  return { onlyInProject, onlyInScm };
}

/** A federation relationship as `spire-server federation list -output json` prints it (protojson). */
export interface Relationship {
  trust_domain: string;
  bundle_endpoint_url: string;
  https_web?: Record<string, never>;
  https_spiffe?: { endpoint_spiffe_id: string };
  trust_domain_bundle?: unknown;
}

/** Every federation relationship of `server`, sorted by trust domain. */
export async function readRelationships(server: SpireServer): Promise<Relationship[]> {
  const result = await server.cli(["federation", "list", "-output", "json"]);
  if (result.code !== 0)
    throw new Error(`spire-server federation list failed (exit ${result.code}): ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { federation_relationships?: Relationship[] | null };
  return (parsed.federation_relationships ?? []).sort((a, b) => compare(a.trust_domain, b.trust_domain));
}

/** `spire-server bundle set`: a bundle for a foreign trust domain (its CA certificate), which entries can then federate with. */
export async function setFederatedBundle(server: SpireServer, trustDomain: string, caPath: string) {
  const result = await server.cli([
    "bundle",
    "set",
    "-id",
    `spiffe://${trustDomain}`,
    "-format",
    "pem",
    "-path",
    caPath,
  ]);
  if (result.code !== 0)
    throw new Error(`spire-server bundle set ${trustDomain} failed (exit ${result.code}): ${result.stderr}`);
}

/** A SPIFFE bundle (JWKS) holding one X.509 authority, as a ClusterFederatedTrustDomain's `trustDomainBundle`. */
export async function spiffeBundleJson(caPath: string): Promise<string> {
  const cert = new X509Certificate(await readFile(caPath));
  const jwk = cert.publicKey.export({ format: "jwk" });
  return JSON.stringify({
    keys: [{ ...jwk, use: "x509-svid", x5c: [cert.raw.toString("base64")] }],
    spiffe_refresh_hint: 300,
    spiffe_sequence: 1,
  });
}

/** The plural names of spire-controller-manager's custom resources. */
export type ScmKind = "clusterspiffeids" | "clusterstaticentries" | "clusterfederatedtrustdomains";

const KIND_NAMES: Record<ScmKind, string> = {
  clusterspiffeids: "ClusterSPIFFEID",
  clusterstaticentries: "ClusterStaticEntry",
  clusterfederatedtrustdomains: "ClusterFederatedTrustDomain",
};

/** One of those resources as served. */
export interface ScmObject {
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp?: string;
    finalizers?: string[];
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface ScmResources {
  create(kind: ScmKind, name: string, spec: Record<string, unknown>): Promise<ScmObject>;
  /** Replaces the spec (status and metadata kept). */
  updateSpec(kind: ScmKind, name: string, spec: Record<string, unknown>): Promise<void>;
  list(kind: ScmKind): Promise<ScmObject[]>;
  /** Deletes one and waits until it is gone. */
  delete(kind: ScmKind, name: string): Promise<void>;
  /** Deletes one (a finalizer may hold it). */
  deleteOnly(kind: ScmKind, name: string): Promise<void>;
  /** Replaces its finalizers (null: none). */
  setFinalizers(kind: ScmKind, name: string, finalizers: string[] | null): Promise<void>;
  /** Deletes every one of the three kinds (their finalizers removed) and waits until none is left. */
  deleteAll(): Promise<void>;
}

const GROUP = "spire.spiffe.io";
const VERSION = "v1alpha1";
const KINDS = Object.keys(KIND_NAMES) as ScmKind[];

export function scmResources(kubeConfig: KubeConfig): ScmResources {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const list = async (kind: ScmKind) => {
    const listed = (await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: kind })) as {
      items: ScmObject[];
    };
    return listed.items.sort((a, b) => compare(a.metadata.name, b.metadata.name));
  };
  const gone = (kind: ScmKind, names?: readonly string[]) =>
    eventually(
      async () => {
        const left = (await list(kind)).filter((item) => !names || names.includes(item.metadata.name));
        if (left.length > 0) throw new Error(`${kind} left: ${left.map((item) => item.metadata.name)}`);
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${kind} ${names?.join(", ") ?? ""} to be gone` },
    );
  const remove = async (kind: ScmKind, name: string) => {
    try {
      await api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: kind, name });
    } catch (error) {
      // gone already (e.g. a deleted one whose finalizer was just removed)
      if ((error as { code?: number }).code !== 404) throw error;
    }
  };
  const setFinalizers = async (kind: ScmKind, name: string, finalizers: string[] | null) => {
    await api.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: kind, name, body: { metadata: { finalizers } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  };
  return {
    async create(kind, name, spec) {
      return (await api.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: kind,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND_NAMES[kind], metadata: { name }, spec },
      })) as ScmObject;
    },
    async updateSpec(kind, name, spec) {
      const current = (await api.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: kind,
        name,
      })) as ScmObject;
      await api.replaceClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: kind,
        name,
        body: { ...current, spec },
      });
    },
    list,
    async delete(kind, name) {
      await remove(kind, name);
      await gone(kind, [name]);
    },
    deleteOnly: remove,
    setFinalizers,
    async deleteAll() {
      for (const kind of KINDS) {
        for (const item of await list(kind)) {
          if (item.metadata.finalizers?.length) await setFinalizers(kind, item.metadata.name, null);
          await remove(kind, item.metadata.name);
        }
        await gone(kind);
      }
    },
  };
}

function entryKey(entry: ScmEntry): string {
  return `${entry.spiffeId}\n${entry.parentId}\n${entry.selectors.join(",")}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

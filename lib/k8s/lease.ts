/**
 * A Kubernetes Lease held for the duration of one piece of work (a resync), so that two resyncs
 * started at once by a scheduler do not overlap. Unlike a controller's leader election this lock
 * is short-lived: acquire, renew while working, release. A holder that died is taken over once its
 * lease has expired (renewTime + leaseDurationSeconds).
 */
import { KubeApiError } from "./errors.js";
import type { KubeClient } from "./kube-client.js";

/** A coordination.k8s.io/v1 Lease as JSON; only the fields the lock reads and writes are typed. */
interface Lease {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly resourceVersion?: string };
  readonly spec?: {
    readonly holderIdentity?: string;
    readonly leaseDurationSeconds?: number;
    /** MicroTime: RFC 3339 with exactly six fractional digits. */
    readonly acquireTime?: string;
    readonly renewTime?: string;
    readonly leaseTransitions?: number;
  };
}

/** A Kubernetes MicroTime, e.g. `2026-01-02T03:04:05.678000Z` (the API server wants six digits). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}

export interface LeaseLockOptions {
  readonly namespace: string;
  /** `<controller_name>-leader-election`, as the Go registrar named its lock. */
  readonly name: string;
  /** Unique per process, e.g. `<hostname>_<random>`. */
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly now: () => number;
}

export type AcquireResult =
  | { acquired: true; release: () => Promise<void> }
  | { acquired: false; holder: string };

/** The lease operations; an interface so the resync can be tested without an API server. */
export interface LeaseLock {
  /** Takes the lease if it is free, expired or ours; renews it every third of its duration until released. */
  tryAcquire(): Promise<AcquireResult>;
}

export function createLeaseLock(client: KubeClient, options: LeaseLockOptions): LeaseLock {
  const { namespace, name, identity } = options;
  const call = (verb: string) => ({ verb, resource: "leases", namespace, name });
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const path = `${collection}/${encodeURIComponent(name)}`;

  const spec = (acquireTime: string | undefined, transitions: number) => ({
    holderIdentity: identity,
    leaseDurationSeconds: options.leaseDurationSeconds,
    acquireTime: acquireTime ?? microTime(options.now()),
    renewTime: microTime(options.now()),
    leaseTransitions: transitions,
  });

  const read = () => client.get<Lease>(call("get"), path);

  /** Writes the lease; false when another writer got there first (409). */
  async function write(lease: Lease, verb: "create" | "update"): Promise<Lease | false> {
    const body = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", ...lease };
    try {
      return await client.request<Lease>(call(verb), {
        method: verb === "create" ? "POST" : "PUT",
        path: verb === "create" ? collection : path,
        body,
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) return false;
      throw error;
    }
  }

  function holdsOrFree(lease: Lease): boolean {
    const holder = lease.spec?.holderIdentity;
    if (!holder || holder === identity) return true;
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    return renewed + duration < options.now();
  }

  return {
    async tryAcquire() {
      const existing = await read();
      let held: Lease | false;
      if (!existing) {
        held = await write({ metadata: { name, namespace }, spec: spec(undefined, 0) }, "create");
      } else if (holdsOrFree(existing)) {
        const ours = existing.spec?.holderIdentity === identity;
        const transitions = (existing.spec?.leaseTransitions ?? 0) + (ours ? 0 : 1);
        held = await write(
          { ...existing, spec: spec(ours ? existing.spec?.acquireTime : undefined, transitions) },
          "update",
        );
      } else {
        return { acquired: false, holder: existing.spec?.holderIdentity ?? "unknown" };
      }
      if (!held) {
        const now = await read();
        return { acquired: false, holder: now?.spec?.holderIdentity ?? "unknown" };
      }

      let current: Lease = held;
      const renew = async () => {
        const next = await write(
          { ...current, spec: { ...current.spec, renewTime: microTime(options.now()) } },
          "update",
        );
        if (next) current = next;
      };
      const timer = setInterval(
        () => void renew().catch(() => undefined),
        (options.leaseDurationSeconds * 1000) / 3,
      );
      timer.unref();
      return {
        acquired: true,
        release: async () => {
          clearInterval(timer);
          // Clear the holder so the next resync need not wait for expiry; losing this race is harmless.
          await write(
            { ...current, spec: { ...current.spec, holderIdentity: "", leaseDurationSeconds: 1 } },
            "update",
          );
        },
      };
    },
  };
}

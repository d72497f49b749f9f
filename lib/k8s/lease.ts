/**
 * A Kubernetes Lease held for the duration of one piece of work (a resync), so that two resyncs
 * started at once by a scheduler do not overlap. Unlike a controller's leader election this lock
 * is short-lived: acquire, renew while working, release. A holder that died is taken over once its
 * lease has expired (renewTime + leaseDurationSeconds).
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { statusOf, toKubeApiError } from "./errors.js";

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

export function createLeaseLock(kubeConfig: KubeConfig, options: LeaseLockOptions): LeaseLock {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const { namespace, name, identity } = options;
  const call = (verb: string) => ({ verb, resource: "leases", namespace, name });

  const spec = (acquireTime: Date | undefined, transitions: number) => ({
    holderIdentity: identity,
    leaseDurationSeconds: options.leaseDurationSeconds,
    acquireTime: new V1MicroTime(acquireTime ?? options.now()),
    renewTime: new V1MicroTime(options.now()),
    leaseTransitions: transitions,
  });

  async function read(): Promise<V1Lease | undefined> {
    try {
      return await api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw toKubeApiError(error, call("get"));
    }
  }

  /** Writes the lease; false when another writer got there first (409). */
  async function write(lease: V1Lease, verb: "create" | "update"): Promise<V1Lease | false> {
    try {
      return verb === "create"
        ? await api.createNamespacedLease({ namespace, body: lease })
        : await api.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw toKubeApiError(error, call(verb));
    }
  }

  function holdsOrFree(lease: V1Lease): boolean {
    const holder = lease.spec?.holderIdentity;
    if (!holder || holder === identity) return true;
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    return renewed + duration < options.now();
  }

  return {
    async tryAcquire() {
      const existing = await read();
      let held: V1Lease | false;
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

      let current: V1Lease = held;
      const renew = async () => {
        const next = await write(
          { ...current, spec: { ...current.spec, renewTime: new V1MicroTime(options.now()) } },
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

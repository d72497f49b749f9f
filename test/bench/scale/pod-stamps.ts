/**
 * When things happened to pods, as the benchmark's own watch on every pod sees them (`Date.now()`
 * when the event arrives, as close to the registrar's view as the benchmark can get): when a pod is
 * first seen bound to a node (the moment it can have an entry) and when it is gone (DELETED). The
 * watch starts from the cluster's current version, so only later changes are stamped; when its
 * stream ends it goes on from the last version seen. What may lose events (a failed stream, an
 * expired version, after which nothing more is stamped) is recorded as a problem.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { KubeClient, WatchHandle } from "../../../lib/k8s/kube-client.js";
import { podKey } from "../compare/pod-key.js";

export interface PodStamps {
  readonly scheduledAt: Map<string, number>;
  readonly goneAt: Map<string, number>;
  /** Why stamps may be missing. */
  readonly problems: string[];
}

/** Stamps one watch event (`object` a pod) at `nowMs`; returns its resourceVersion. */
export function notePodEvent(stamps: PodStamps, type: string, pod: V1Pod, nowMs: number): string | undefined {
  const key = podKey(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "");
  if (type === "DELETED") {
    if (!stamps.goneAt.has(key)) stamps.goneAt.set(key, nowMs);
  } else if ((type === "ADDED" || type === "MODIFIED") && pod.spec?.nodeName) {
    if (!stamps.scheduledAt.has(key)) stamps.scheduledAt.set(key, nowMs);
  }
  return pod.metadata?.resourceVersion;
}

export interface PodStampWatch extends PodStamps {
  stop(): void;
}

const WATCH_TIMEOUT_SECONDS = 300;

/** Starts stamping from now on. */
export async function watchPodStamps(kube: KubeClient): Promise<PodStampWatch> {
  const stamps: PodStamps = { scheduledAt: new Map(), goneAt: new Map(), problems: [] };
  const call = { verb: "watch", resource: "pods" } as const;
  const first = await kube.request<{ metadata?: { resourceVersion?: string } }>(
    { verb: "list", resource: "pods" },
    { method: "GET", path: "/api/v1/pods", query: { limit: 1 } },
  );
  let version = first.metadata?.resourceVersion;
  let handle: WatchHandle | undefined;
  let stopped = false;
  let broken = false;
  const open = async (): Promise<void> => {
    handle = await kube.watch({
      call,
      path: "/api/v1/pods",
      query: { resourceVersion: version, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS },
      deadlineMs: (WATCH_TIMEOUT_SECONDS + 60) * 1000,
      onEvent: (type, object) => {
        if (type === "ERROR") {
          // e.g. 410 Gone: the version expired and watching on would miss changes; stamps stop here.
          stamps.problems.push(`watch error, no more stamps: ${JSON.stringify(object).slice(0, 200)}`);
          broken = true;
          return;
        }
        const seen =
          type === "BOOKMARK"
            ? (object as V1Pod).metadata?.resourceVersion
            : notePodEvent(stamps, type, object as V1Pod, Date.now());
        if (seen) version = seen;
      },
      onDone: (error) => {
        if (stopped || broken) return;
        if (error) stamps.problems.push(`watch ended: ${error.message}`);
        open().catch((failure: unknown) => {
          stamps.problems.push(`watch could not be opened again: ${String(failure)}`);
        });
      },
    });
    if (stopped) handle.abort();
  };
  await open();
  return {
    ...stamps,
    stop() {
      stopped = true;
      handle?.abort();
    },
  };
}

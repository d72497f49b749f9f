/**
 * The measuring window of one scale phase on a SpireRun: opened before the phase's first action,
 * closed once no entry write has succeeded for the quiet period; then, outside the window, the
 * expected entries are derived from a fresh look at the cluster and compared with one full list of
 * SPIRE's entries (parity's canonical form: SPIFFE ID, parent, sorted selectors, DNS names).
 */
import type { Entry } from "../../../lib/planner/entry.js";
import { canonicalEntries, compareEntries } from "../compare/parity.js";
import { countsSince } from "../compare/phases.js";
import type { ScalePhase } from "./results.js";
import type { RpcCounts } from "./spire-proxy.js";
import type { SpireRun } from "./spire-run.js";

export interface PhaseWindow {
  /**
   * Waits for the quiet period, closes the window, lists SPIRE's entries and checks them against
   * `expected()` (canonical lines); returns the phase's figures with `times` and the entries.
   */
  settle(
    times: Pick<ScalePhase, "convergenceMs" | "firstWriteMs" | "perPod" | "clusterMs">,
    expected: () => Promise<readonly string[]>,
  ): Promise<{ phase: ScalePhase; entries: Entry[] }>;
}

export function openPhaseWindow(
  run: SpireRun,
  name: string,
  timing: { readonly quietMs: number; readonly timeoutMs: number },
): PhaseWindow {
  const audit = run.audit.counts();
  const rpcs = run.proxy.counts();
  const cpu = process.cpuUsage();
  const window = run.sampler.begin();
  return {
    async settle(times, expected) {
      await run.audit.quiet(timing.quietMs, timing.timeoutMs);
      const usage = window.end();
      const used = process.cpuUsage(cpu);
      const phaseAudit = countsSince(audit, run.audit.counts());
      const phaseRpcs = rpcCountsSince(rpcs, run.proxy.counts());
      const wanted = await expected();
      const entries = await run.lister.list();
      const check = compareEntries(
        0,
        name,
        { system: "expected", entries: [...wanted] },
        { system: "spire-server", entries: canonicalEntries(entries) },
      );
      return {
        phase: {
          ...times,
          usage,
          benchCpuSeconds: (used.user + used.system) / 1e6,
          audit: phaseAudit,
          rpcs: phaseRpcs,
          entriesAtEnd: entries.length,
          check,
        },
        entries,
      };
    },
  };
}

/** The RPC counts between two readings (methods not called in between are left out). */
export function rpcCountsSince(before: RpcCounts, after: RpcCounts): RpcCounts {
  const since: RpcCounts = {};
  for (const [method, counts] of Object.entries(after)) {
    const earlier = before[method] ?? { calls: 0, failed: 0, items: 0 };
    if (counts.calls === earlier.calls) continue;
    since[method] = {
      calls: counts.calls - earlier.calls,
      failed: counts.failed - earlier.failed,
      items: counts.items - earlier.items,
    };
  }
  return since;
}

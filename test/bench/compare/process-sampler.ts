/**
 * Measures the processes of one benchmark run: every `intervalMs` it reads each watched process's
 * resident memory (and CPU time, so a process that exits keeps its last reading); a window reports
 * per process and per group (e.g. "system": every process of the system under test) the CPU seconds
 * used inside the window, the peak resident memory seen by the samples, and VmHWM at the window's end.
 */
import { cpuSeconds, memoryMiB } from "./proc-stats.js";

/** What a watched process belongs to: the system under test, or a shared peer. */
export type ProcessGroup = "system" | "spire-server" | "kube-apiserver";

/** Figures of one process or one group over a window. */
export interface UsageFigures {
  /** utime + stime used inside the window. */
  cpuSeconds: number;
  /** The largest VmRSS sample (a group: the largest sum of its processes' samples taken together). */
  peakRssMiB: number;
  /** VmHWM at the window's end (a group: the sum), the peak since the process started. */
  hwmMiB: number;
}

export interface WindowFigures {
  readonly byRole: Record<string, UsageFigures>;
  readonly byGroup: Partial<Record<ProcessGroup, UsageFigures>>;
}

/** A measurement window; `end()` may be called once. */
export interface Window {
  end(): WindowFigures;
}

export interface ProcessSampler {
  /** Starts sampling `pid` under `role` (unique per run, e.g. "registrar", "adapter"). */
  watch(role: string, pid: number, group: ProcessGroup): void;
  /**
   * Opens a window. CPU counts from now for processes already watched, and from their start for
   * processes watched later (they are started inside the window).
   */
  begin(): Window;
  /** Stops the timer. */
  stop(): void;
}

interface Watched {
  readonly role: string;
  readonly pid: number;
  readonly group: ProcessGroup;
  lastCpu: number;
  lastHwm: number;
}

interface OpenWindow {
  readonly cpuAtBegin: Map<string, number>;
  readonly peakByRole: Map<string, number>;
  readonly peakByGroup: Map<ProcessGroup, number>;
}

export function createProcessSampler(intervalMs = 100): ProcessSampler {
  const watched = new Map<string, Watched>();
  const windows = new Set<OpenWindow>();

  const sample = () => {
    const groupTotals = new Map<ProcessGroup, number>();
    const rssByRole = new Map<string, number>();
    for (const process of watched.values()) {
      const memory = memoryMiB(process.pid);
      const cpu = cpuSeconds(process.pid);
      if (cpu !== undefined) process.lastCpu = cpu;
      if (memory === undefined) continue;
      process.lastHwm = memory.hwm;
      rssByRole.set(process.role, memory.rss);
      groupTotals.set(process.group, (groupTotals.get(process.group) ?? 0) + memory.rss);
    }
    for (const window of windows) {
      for (const [role, rss] of rssByRole) {
        window.peakByRole.set(role, Math.max(window.peakByRole.get(role) ?? 0, rss));
      }
      for (const [group, rss] of groupTotals) {
        window.peakByGroup.set(group, Math.max(window.peakByGroup.get(group) ?? 0, rss));
      }
    }
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();

  return {
    watch(role, pid, group) {
      if (watched.has(role)) throw new Error(`process role ${role} is already watched`);
      watched.set(role, { role, pid, group, lastCpu: 0, lastHwm: 0 });
      sample();
    },
    begin() {
      sample();
      const window: OpenWindow = {
        cpuAtBegin: new Map([...watched.values()].map((p) => [p.role, p.lastCpu])),
        peakByRole: new Map(),
        peakByGroup: new Map(),
      };
      windows.add(window);
      sample();
      let ended = false;
      return {
        end() {
          if (ended) throw new Error("window already ended");
          ended = true;
          sample();
          windows.delete(window);
          const byRole: Record<string, UsageFigures> = {};
          const byGroup: Partial<Record<ProcessGroup, UsageFigures>> = {};
          for (const process of watched.values()) {
            const figures: UsageFigures = {
              cpuSeconds: process.lastCpu - (window.cpuAtBegin.get(process.role) ?? 0),
              peakRssMiB: window.peakByRole.get(process.role) ?? 0,
              hwmMiB: process.lastHwm,
            };
            byRole[process.role] = figures;
            const group = byGroup[process.group];
            byGroup[process.group] = {
              cpuSeconds: (group?.cpuSeconds ?? 0) + figures.cpuSeconds,
              peakRssMiB: window.peakByGroup.get(process.group) ?? 0,
              hwmMiB: (group?.hwmMiB ?? 0) + figures.hwmMiB,
            };
          }
          return { byRole, byGroup };
        },
      };
    },
    stop() {
      clearInterval(timer);
      windows.clear();
    },
  };
}

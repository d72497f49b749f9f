/**
 * Reads one process's CPU time and memory from Linux's /proc, for the side-by-side benchmark: CPU
 * seconds are utime + stime of the whole thread group (`/proc/<pid>/stat`), memory is the resident
 * set now (VmRSS) and its high-water mark (VmHWM) from `/proc/<pid>/status`. A process that has
 * exited reads as `undefined`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`, 100 on every common Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const text = execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim();
    const value = Number(text);
    ticksPerSecond = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) the process has used since it started, or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so utime (field 14) is fields[11] and stime (15) fields[12].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / clockTicks();
}

/** Resident memory in MiB: `rss` now and `hwm` the peak since the process started. */
export function memoryMiB(pid: number): { rss: number; hwm: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
  const rss = kib("VmRSS");
  const hwm = kib("VmHWM");
  if (!Number.isFinite(rss) || !Number.isFinite(hwm)) return undefined;
  return { rss: rss / 1024, hwm: hwm / 1024 };
}

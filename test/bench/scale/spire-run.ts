/**
 * One fresh spire-server for a system (the floor's writer, or the registrar), as bench:compare
 * starts it (INFO, JSON, audit log), with what measures it: the counting proxy the system is
 * pointed at, the audit log follower, the process sampler (spire-server, kube-apiserver, and the
 * system's processes once it hands them over), and a direct lister for the benchmark's own checks
 * (not through the proxy, so they are not counted). `context` is what bench:compare's systems start
 * from, with the proxy's socket as the server's.
 */
import { join } from "node:path";
import type { Cluster } from "../../e2e/harness/cluster.js";
import { startSpireServer } from "../../e2e/harness/spire.js";
import { makeRunDir } from "../../e2e/harness/tmp.js";
import { type EntryAudit, followEntryAudit } from "../compare/entry-audit.js";
import { type EntryLister, openEntryLister } from "../compare/entry-list.js";
import { TRUST_DOMAIN } from "../compare/identity.js";
import { SPIRE_SERVER_LOGGING } from "../compare/measurement.js";
import { podUids } from "../compare/pod-key.js";
import { createProcessSampler, type ProcessSampler } from "../compare/process-sampler.js";
import type { OwnedProcess, RunContext } from "../compare/system.js";
import { type SpireProxy, startSpireProxy } from "./spire-proxy.js";

const STOP_GRACE_MS = 30_000;

export interface SpireRun {
  readonly context: RunContext;
  readonly proxy: SpireProxy;
  readonly audit: EntryAudit;
  readonly lister: EntryLister;
  readonly sampler: ProcessSampler;
  readonly spireLogPath: string;
  /** Stops the system's processes (by PID), then everything else. Idempotent. */
  close(): Promise<void>;
}

export async function startSpireRun(
  cluster: Cluster,
  registrarConfig: Readonly<Record<string, unknown>>,
  log: (line: string) => void,
): Promise<SpireRun> {
  const owned: OwnedProcess[] = [];
  const closers: Array<() => Promise<void> | void> = [];
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      // A registrar writing a CPU profile (BENCH_NODE_ARGS=--cpu-prof) needs time after SIGTERM.
      for (const process of owned.reverse()) await process.stop(STOP_GRACE_MS);
      for (const closer of closers.reverse()) await closer();
    })();
    return closed;
  };
  try {
    const dir = await makeRunDir("scale", log);
    closers.push(() => dir.remove());
    const spire = await startSpireServer({ trustDomain: TRUST_DOMAIN, ...SPIRE_SERVER_LOGGING, log });
    closers.push(() => spire.stop());
    const spirePid = spire.pid();
    if (spirePid === undefined) throw new Error("spire-server has no PID");
    const proxy = await startSpireProxy(spire.socketPath, join(dir.path, "p.sock"));
    closers.push(() => proxy.close());
    const sampler = createProcessSampler();
    closers.push(() => sampler.stop());
    sampler.watch("kube-apiserver", cluster.pids.kubeApiServer, "kube-apiserver");
    sampler.watch("spire-server", spirePid, "spire-server");
    const audit = await followEntryAudit(spire.logPath, podUids());
    closers.push(() => audit.stop());
    const lister = openEntryLister(spire.socketPath);
    closers.push(() => lister.close());
    const context: RunContext = {
      kubeconfigPath: cluster.kubeconfigPath,
      kubeConfig: cluster.kubeConfig,
      kube: cluster.kube,
      spire: { ...spire, socketPath: proxy.socketPath },
      registrarConfig,
      dir: dir.path,
      own(role, process) {
        owned.push(process);
        sampler.watch(role, process.pid, "system");
      },
      log,
    };
    return { context, proxy, audit, lister, sampler, spireLogPath: spire.logPath, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The SPIRE servers' own write rates, measured in the same run as the admission systems: how fast
 * each server takes new entries with nothing in front of it. `single`: one entry per RPC at the
 * admission loads' concurrencies (today's entry API: BatchCreateEntry of one; v0.11.1: the legacy
 * Registration API's CreateEntry, the call its registrar makes). `batched` (today's server only:
 * v0.11.1 has no batch RPC): BatchCreateEntry of 50, 4 in flight, as the project's client sends.
 */
import { performance } from "node:perf_hooks";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import pino from "pino";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { createSpireClient } from "../../../lib/spire/client.js";
import { createUnixSocketTransport, type SpireTransport } from "../../../lib/spire/transport.js";
import { Registration } from "../../../proto/gen/spire/api/registration/registration_pb.js";
import { RegistrationEntrySchema } from "../../../proto/gen/spire/common/common_pb.js";
import type { SpireServer } from "../../e2e/harness/spire.js";

export interface FloorFigures {
  /** Entries per second. */
  readonly entriesPerSecond: number;
  readonly entries: number;
}

const PARENT = (td: string) => `spiffe://${td}/k8s-workload-registrar/bench/node`;

function podEntry(td: string, label: string, i: number): EntrySpec {
  return {
    spiffeId: `spiffe://${td}/ns/bench/sa/sa-${i % 50}`,
    parentId: PARENT(td),
    selectors: [
      { type: "k8s", value: "ns:bench" },
      { type: "k8s", value: `pod-name:pod-${label}-${i}` },
    ],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
  };
}

/** Runs `use` with a connection to the server's socket, closed afterwards. */
async function overSocket<T>(
  server: SpireServer,
  use: (transport: SpireTransport) => Promise<T>,
): Promise<T> {
  const transport = createUnixSocketTransport(server.socketPath);
  try {
    return await use(transport);
  } finally {
    transport.close();
  }
}

/** Runs `entries` calls of `one` over `concurrency` workers; answers entries per second. */
async function timed(
  entries: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<FloorFigures> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < entries) await one(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { entries, entriesPerSecond: Math.round(entries / seconds) };
}

/** Today's server: one entry per BatchCreateEntry at `concurrency`, every item must be created. */
export async function currentSingleFloor(
  server: SpireServer,
  label: string,
  entries: number,
  concurrency: number,
): Promise<FloorFigures> {
  return overSocket(server, async (transport) => {
    const client = createSpireClient({ transport, logger: pino({ level: "silent" }), concurrency: 1 });
    return timed(entries, concurrency, async (i) => {
      const result = await client.createEntries([podEntry(server.trustDomain, label, i)]);
      if (!result.ok || !result.value[0]?.ok)
        throw new Error(`floor create ${i}: ${JSON.stringify(result).slice(0, 300)}`);
    });
  });
}

/** Today's server: all entries in BatchCreateEntry calls of 50, 4 in flight (the client's defaults). */
export async function currentBatchedFloor(
  server: SpireServer,
  label: string,
  entries: number,
): Promise<FloorFigures> {
  return overSocket(server, async (transport) => {
    const client = createSpireClient({ transport, logger: pino({ level: "silent" }) });
    const specs = Array.from({ length: entries }, (_, i) => podEntry(server.trustDomain, label, i));
    const started = performance.now();
    const result = await client.createEntries(specs);
    const seconds = (performance.now() - started) / 1000;
    const failed = result.ok ? result.value.filter((item) => !item.ok).length : entries;
    if (failed > 0) throw new Error(`batched floor: ${failed} of ${entries} entries not created`);
    return { entries, entriesPerSecond: Math.round(entries / seconds) };
  });
}

/** v0.11.1's server: one legacy Registration.CreateEntry per entry at `concurrency`. */
export async function legacySingleFloor(
  server: SpireServer,
  label: string,
  entries: number,
  concurrency: number,
): Promise<FloorFigures> {
  return overSocket(server, async (transport) => {
    const client = createClient(Registration, transport.transport);
    return timed(entries, concurrency, async (i) => {
      const spec = podEntry(server.trustDomain, label, i);
      const answer = await client.createEntry(
        create(RegistrationEntrySchema, {
          spiffeId: spec.spiffeId,
          parentId: spec.parentId,
          selectors: spec.selectors.map((selector) => ({ type: selector.type, value: selector.value })),
        }),
        { timeoutMs: 10_000 },
      );
      if (answer.id === "") throw new Error(`floor create ${i}: no entry id`);
    });
  });
}

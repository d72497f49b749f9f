/**
 * One full list of a spire-server's entries (ListEntries in pages of 1,000, through the project's
 * SpireClient on the admin socket): the check that a phase's entry set is complete, and what
 * parity compares. spire-server spends about 45 µs of CPU per entry listed, so it is called once
 * per phase, after the phase's measuring window has closed.
 */
import pino from "pino";
import type { Entry } from "../../../lib/planner/entry.js";
import { createSpireClient } from "../../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";

export interface EntryLister {
  /** Every entry of the server; throws when the list fails. */
  list(): Promise<Entry[]>;
  close(): void;
}

/** A lister on the server API socket at `socketPath`. */
export function openEntryLister(socketPath: string): EntryLister {
  const client = createSpireClient({
    transport: createUnixSocketTransport(socketPath),
    logger: pino({ level: "silent" }),
    timeoutMs: 60_000,
    retry: { maxAttempts: 1 },
  });
  return {
    async list() {
      const listed = await client.listEntries();
      if (!listed.ok) throw new Error(`ListEntries failed: ${listed.error.message}`);
      return listed.value;
    },
    close: () => client.close(),
  };
}

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe } from "vitest";
import { createSpireClient } from "../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../lib/spire/transport.js";
import { defineEntryContract } from "../contract/entry-contract.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { createPki } from "./harness/pki.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";

const FEDERATED_TD = "federated.test";

describe.skipIf(skipWithoutPeers(["spire-server"]))("real spire-server", () => {
  defineEntryContract("real spire-server", async () => {
    const server = await startSpireServer();
    try {
      await addFederatedBundle(server.cli);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return {
      trustDomain: server.trustDomain,
      federatedTrustDomain: FEDERATED_TD,
      createClient: (overrides) =>
        createSpireClient({
          transport: createUnixSocketTransport(server.socketPath),
          logger: pino({ level: "silent" }),
          ...overrides,
        }),
      stop: () => server.stop(),
    };
  });
});

/** Gives the server a bundle for FEDERATED_TD (any CA certificate will do) so entries may federate with it. */
async function addFederatedBundle(cli: SpireServer["cli"]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "fed-bundle-"));
  try {
    const pki = await createPki(dir);
    const result = await cli(["bundle", "set", "-id", `spiffe://${FEDERATED_TD}`, "-path", pki.ca.certPath]);
    if (result.code !== 0) throw new Error(`spire-server bundle set failed: ${result.stderr}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

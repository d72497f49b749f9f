import pino from "pino";
import { createSpireClient } from "../../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { defineEntryContract } from "../../contract/entry-contract.js";
import { startFakeSpireServer } from "../../fakes/spire-entry-server.js";

defineEntryContract("in-memory fake", async () => {
  const fake = await startFakeSpireServer({
    trustDomain: "example.org",
    federatedTrustDomains: ["federated.test"],
  });
  return {
    trustDomain: fake.trustDomain,
    federatedTrustDomain: "federated.test",
    createClient: (overrides) =>
      createSpireClient({
        transport: createUnixSocketTransport(fake.socketPath),
        logger: pino({ level: "silent" }),
        ...overrides,
      }),
    stop: () => fake.stop(),
  };
});

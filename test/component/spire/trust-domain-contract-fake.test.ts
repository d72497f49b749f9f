import { startFakeSpireServer } from "../../fakes/spire-entry-server.js";
import { defineTrustDomainContract } from "./trust-domain-contract.js";

defineTrustDomainContract("in-memory fake", async () => {
  const fake = await startFakeSpireServer({ trustDomain: "example.org" });
  return { socketPath: fake.socketPath, trustDomain: fake.trustDomain, stop: () => fake.stop() };
});

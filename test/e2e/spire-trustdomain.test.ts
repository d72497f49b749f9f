/**
 * What cluster-spiffeid mode asks of SPIRE (the trust domain client, store_svid, updates with no input
 * mask) against a real spire-server: the contract the component tests also run against the fake.
 */
import { describe } from "vitest";
import { defineTrustDomainContract } from "../component/spire/trust-domain-contract.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { startSpireServer } from "./harness/spire.js";

describe.skipIf(skipWithoutPeers(["spire-server"]))("real spire-server", () => {
  defineTrustDomainContract("real spire-server", async () => {
    const server = await startSpireServer();
    return { socketPath: server.socketPath, trustDomain: server.trustDomain, stop: () => server.stop() };
  });
});

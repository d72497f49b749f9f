/** Whether a peer binary of `npm run peers` is there, as a system's `unavailable()` reason. */
import { accessSync, constants } from "node:fs";
import { type PeerName, peerBinary } from "../../../e2e/harness/peers.js";

/** Why the peer cannot run (its binary is missing), or undefined when it can. */
export function missingPeer(name: PeerName): string | undefined {
  const path = peerBinary(name);
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return `${path} is missing: run PEERS=all npm run peers`;
  }
}

/**
 * `npm run demo` as a user runs it: it must bring everything up, show entries appear and go away,
 * tear down, and end by itself with exit code 0.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { skipWithoutPeers } from "./harness/peers.js";

const run = promisify(execFile);

describe.skipIf(skipWithoutPeers(["etcd", "kube-apiserver", "spire-server"]))("npm run demo", () => {
  it("shows entries appearing and going away, then ends by itself", { timeout: 600_000 }, async () => {
    const { stdout } = await run("npm", ["run", "demo"], { maxBuffer: 16 << 20, timeout: 540_000 });
    expect(stdout).toMatch(/^ {2}\+ spiffe:\/\/demo\.example\/ns\/shop\/sa\/frontend /m);
    expect(stdout).toMatch(/^ {2}\+ spiffe:\/\/demo\.example\/payments /m);
    expect(stdout).toMatch(/^ {2}\+ spiffe:\/\/demo\.example\/production\/ledger /m);
    expect(stdout).toMatch(/^ {2}- spiffe:\/\/demo\.example\/ns\/shop\/sa\/frontend$/m);
    // the unlabelled pod of the label phase gets no entry
    expect(stdout).not.toMatch(/^ {2}\+ spiffe:\/\/demo\.example\/ns\/shop\/sa\/default /m);
    expect(stdout).toContain("demo done: tearing down");
  });
});

#!/usr/bin/env node
// Runs the in-memory SPIRE entry server (test/fakes, compiled by `tsc -p tsconfig.bench.json`) in a
// process of its own, for benchmarks that should not share an event loop with it. Prints the socket
// path on the first line of stdout and stops on SIGTERM.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { startFakeSpireServer } = await import(
  pathToFileURL(join(process.cwd(), ".tmp/bench-build/test/fakes/spire-entry-server.js")).href
);
const server = await startFakeSpireServer({ trustDomain: process.argv[2] ?? "example.org" });
process.stdout.write(`${server.socketPath}\n`);
process.once("SIGTERM", () => void server.stop().then(() => process.exit(0)));

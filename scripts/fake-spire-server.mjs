#!/usr/bin/env node
// Runs the in-memory SPIRE entry server (test/fakes, compiled by `tsc -p tsconfig.bench.json`) in a
// process of its own, for benchmarks that should not share an event loop with it. Its SVID service
// mints X509-SVIDs from a throwaway CA (spiffeid-validation gets its serving certificate that way).
// Prints the socket path on the first line of stdout and stops on SIGTERM.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const build = (path) => pathToFileURL(join(process.cwd(), ".tmp/bench-build/test/fakes", path)).href;
const { startFakeSpireServer } = await import(build("spire-entry-server.js"));
const { createFakeSvidCa } = await import(build("spire-svid-ca.js"));
const trustDomain = process.argv[2] ?? "example.org";
const server = await startFakeSpireServer({
  trustDomain,
  svidMinter: await createFakeSvidCa({ trustDomain }),
});
process.stdout.write(`${server.socketPath}\n`);
process.once("SIGTERM", () => void server.stop().then(() => process.exit(0)));

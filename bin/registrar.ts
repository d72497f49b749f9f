#!/usr/bin/env node
/** Executable entry of the `registrar` CLI (package.json "bin": dist/bin/registrar.js). */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

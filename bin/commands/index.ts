/**
 * The registrar's commands. Each lives in its own module, imported only when run so that
 * `check-config` does not pay for the SPIRE or Kubernetes clients of `serve`. To add a command
 * (`plan`, `serve`, `generate-config`), add a module exporting `run` and `usage` and one entry here.
 */
import type { CommandRun } from "../cli-io.js";

export interface CommandModule {
  readonly run: CommandRun;
  readonly usage: string;
}

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  "bootstrap-entries": {
    summary: "print the spire-server commands that give the functions their admin identity (mTLS path)",
    load: () => import("./bootstrap-entries.js"),
  },
  "check-config": {
    summary: "validate a configuration file and print the effective configuration",
    load: () => import("./check-config.js"),
  },
  "generate-config": {
    summary: "make webhook mode's certificates, webhook configuration and API server files",
    load: () => import("./generate-config.js"),
  },
  plan: {
    summary: "print what a resync would create, update and delete (dry run)",
    load: () => import("./plan.js"),
  },
  serve: {
    summary: "run the configured mode's functions in one process (--watch: with an API server watch)",
    load: () => import("./serve.js"),
  },
  version: { summary: "print the version", load: () => import("./version.js") },
};

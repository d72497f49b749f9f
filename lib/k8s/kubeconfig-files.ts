/**
 * Reads kubeconfig files and merges them the way kubectl merges a `KUBECONFIG` list: the first file
 * that defines a cluster, user or context name wins, and `current-context` comes from the first
 * file that sets it. Every entry remembers the file it came from, so relative paths are resolved
 * against that file's directory and errors name it.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** A kubeconfig problem an operator must fix; the message names the file and the key. */
export class KubeconfigProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeconfigProblem";
  }
}

/** One named entry (`clusters[].cluster`, `users[].user`, `contexts[].context`) and its file. */
export interface Defined {
  readonly kind: "cluster" | "user" | "context";
  readonly name: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly file: string;
}

/** The merged kubeconfig files. */
export interface KubeconfigSet {
  readonly files: readonly string[];
  readonly clusters: ReadonlyMap<string, Defined>;
  readonly users: ReadonlyMap<string, Defined>;
  readonly contexts: ReadonlyMap<string, Defined>;
  readonly currentContext: { readonly name: string; readonly file: string } | undefined;
}

/** Reads and merges `files` in order; throws KubeconfigProblem for an unreadable or malformed file. */
export function readKubeconfigFiles(files: readonly string[]): KubeconfigSet {
  const clusters = new Map<string, Defined>();
  const users = new Map<string, Defined>();
  const contexts = new Map<string, Defined>();
  let currentContext: KubeconfigSet["currentContext"];
  for (const file of files) {
    const document = parseFile(file);
    addFirst(clusters, entries(document, "clusters", "cluster", file));
    addFirst(users, entries(document, "users", "user", file));
    addFirst(contexts, entries(document, "contexts", "context", file));
    const current = document["current-context"];
    if (current !== undefined && current !== null && typeof current !== "string")
      throw new KubeconfigProblem(`kubeconfig ${file}: current-context must be a string`);
    if (!currentContext && current) currentContext = { name: current, file };
  }
  return { files, clusters, users, contexts, currentContext };
}

function parseFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new KubeconfigProblem(`cannot read kubeconfig ${file}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0]?.replace(/:$/, "");
    throw new KubeconfigProblem(`kubeconfig ${file}: invalid YAML: ${reason}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== "object" || Array.isArray(document))
    throw new KubeconfigProblem(`kubeconfig ${file}: not a kubeconfig (expected a YAML mapping)`);
  return document as Record<string, unknown>;
}

function entries(
  document: Record<string, unknown>,
  list: "clusters" | "users" | "contexts",
  inner: "cluster" | "user" | "context",
  file: string,
): Defined[] {
  const value = document[list];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KubeconfigProblem(`kubeconfig ${file}: ${list} must be a list`);
  return value.map((item: unknown, index) => {
    const entry = item as { name?: unknown; [key: string]: unknown } | null;
    if (typeof entry !== "object" || entry === null || typeof entry.name !== "string" || entry.name === "")
      throw new KubeconfigProblem(`kubeconfig ${file}: ${list}[${index}] has no name`);
    const fields = entry[inner] ?? {};
    if (typeof fields !== "object" || Array.isArray(fields))
      throw new KubeconfigProblem(`kubeconfig ${file}: ${inner} "${entry.name}": ${inner} must be a mapping`);
    return { kind: inner, name: entry.name, fields: fields as Record<string, unknown>, file };
  });
}

function addFirst(into: Map<string, Defined>, defined: readonly Defined[]): void {
  for (const entry of defined) if (!into.has(entry.name)) into.set(entry.name, entry);
}

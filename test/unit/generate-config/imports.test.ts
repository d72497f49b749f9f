import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { expect, it } from "vitest";

/** Every module `entry` imports, statically or dynamically, following relative imports transitively. */
function importGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
      const specifier = match[1] as string;
      if (specifier.startsWith(".")) pending.push(join(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else packages.add(specifier);
    }
  }
  return { files: [...files].map((file) => relative(".", file)), packages: [...packages] };
}

it("generate-config loads neither the Kubernetes client nor the SPIRE client", () => {
  const graph = importGraph("bin/commands/generate-config.ts");
  expect(graph.files).toContain("lib/generate-config/certificates.ts");
  expect(graph.packages).toContain("@peculiar/x509");
  expect(graph.packages.filter((name) => /^@kubernetes\/|^@connectrpc\/|^@bufbuild\//.test(name))).toEqual(
    [],
  );
  expect(graph.files.filter((file) => /^lib\/(spire|k8s)\/|^proto\//.test(file))).toEqual([]);
});

/**
 * Seeded random HCL configs in the syntax both HCL2 (hcl2-parser) and HCL v1 accept: one attribute
 * per line, unique keys per body, blocks whose braces end their lines, no `${` or `%{` (HCL2 would
 * evaluate them), no integer with a leading zero. The same seed gives the same texts.
 */

/** A seeded pseudo-random source (mulberry32). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

const KEY_WORDS = ["trust_domain", "cluster", "mode", "a", "b_2", "dns-name", "x", "région", "long_key_name"];
const BLOCK_NAMES = ["context", "plugin", "server", "features"];
const STRING_PIECES = [
  "abc",
  "spiffe://example.org/ns",
  " ",
  "{{.Pod.Name}}",
  "é",
  "😀",
  "a=b",
  "#",
  "//",
  "[x]",
  "\\n",
  "\\t",
  '\\"',
  "\\\\",
  "\\u00e9",
  "\\U0001F600",
  "1.5",
  "true",
];
const MAX_DEPTH = 3;

/** A random config text. */
export function generateConfig(random: Random): string {
  const lines = body(random, 0, "");
  const newline = random.chance(0.1) ? "\r\n" : "\n";
  // hcl2-parser needs a line break after a heredoc's closing marker, even at the end of the text.
  const endsInHeredoc = (lines.at(-1) ?? "").includes("<<");
  return lines.join(newline) + (endsInHeredoc || random.chance(0.8) ? newline : "");
}

/** The lines of a body: attributes, blocks and comments. */
function body(random: Random, depth: number, indent: string): string[] {
  const lines: string[] = [];
  const attributes = new Set<string>();
  const blockLabels = new Map<string, number>();
  const count = random.int(depth === 0 ? 8 : 4) + (depth === 0 ? 1 : 0);
  for (let i = 0; i < count; i += 1) {
    const kind = random.pick(["attribute", "attribute", "attribute", "block", "comment"] as const);
    if (kind === "comment") {
      lines.push(
        indent + random.pick(["# a comment", "// a comment", "/* a comment */", "/* two\n   lines */"]),
      );
    } else if (kind === "block" && depth < MAX_DEPTH) {
      const name = random.pick(BLOCK_NAMES.filter((candidate) => !attributes.has(candidate)));
      // HCL2 refuses blocks of one name with different numbers of labels.
      const labelCount = blockLabels.get(name) ?? random.int(3);
      blockLabels.set(name, labelCount);
      const labels = Array.from({ length: labelCount }, () =>
        random.chance(0.5) ? ` "${random.pick(["k8s", "a b", "x"])}"` : ` ${random.pick(["k8s", "y"])}`,
      ).join("");
      lines.push(`${indent}${name}${labels} {`, ...body(random, depth + 1, `${indent}  `), `${indent}}`);
    } else {
      const name = random.pick(KEY_WORDS.filter((candidate) => !attributes.has(candidate)));
      if (name === undefined || blockLabels.has(name)) continue;
      attributes.add(name);
      const spacing = random.pick([" = ", "=", "   = ", "\t= "]);
      const comment = random.chance(0.15) ? random.pick([" # note", " // note", " /* note */"]) : "";
      if (random.chance(0.1)) lines.push(`${indent}${name}${spacing}${heredoc(random)}`);
      else lines.push(`${indent}${name}${spacing}${value(random, depth, indent)}${comment}`);
    }
  }
  return lines;
}

function value(random: Random, depth: number, indent: string): string {
  const kinds =
    depth < MAX_DEPTH ? ["string", "string", "number", "literal", "list", "object"] : ["string", "number"];
  switch (random.pick(kinds)) {
    case "string":
      return string(random);
    case "number":
      return number(random);
    case "literal":
      return random.pick(["true", "false", "null"]);
    case "list": {
      const items = Array.from({ length: random.int(4) }, () => value(random, depth + 1, `${indent}  `));
      const trailing = items.length > 0 && random.chance(0.3) ? "," : "";
      if (random.chance(0.3))
        return `[\n${items.map((item) => `${indent}  ${item},`).join("\n")}\n${indent}]`;
      return `[${items.join(", ")}${trailing}]`;
    }
    default: {
      const keys = [...new Set(Array.from({ length: random.int(4) }, () => random.pick(KEY_WORDS)))];
      const items = keys.map((key) => {
        const written = random.chance(0.2) ? `"${key} k"` : key;
        return `${written}${random.pick([" = ", ": "])}${value(random, depth + 1, `${indent}  `)}`;
      });
      if (random.chance(0.4)) return `{\n${items.map((item) => `${indent}  ${item}`).join("\n")}\n${indent}}`;
      return `{ ${items.join(", ")} }`;
    }
  }
}

function string(random: Random): string {
  return `"${Array.from({ length: random.int(5) }, () => random.pick(STRING_PIECES)).join("")}"`;
}

function number(random: Random): string {
  const sign = random.chance(0.2) ? "-" : "";
  const integer = String(random.int(100_000) + 1);
  switch (random.int(4)) {
    case 0:
      return `${sign}${integer}.${random.int(1000)}`;
    case 1:
      return `${sign}${integer}${random.pick(["e", "E"])}${random.pick(["", "+", "-"])}${random.int(20)}`;
    default:
      return random.chance(0.05) ? "0" : `${sign}${integer}`;
  }
}

function heredoc(random: Random): string {
  const flush = random.chance(0.5);
  const marker = random.pick(["EOT", "EOF", "END_TEXT"]);
  const lines = Array.from({ length: random.int(4) }, () =>
    random.pick(["", "  indented", "    deeper", "plain text", "\tTab", '"quoted" \\n not an escape', "   "]),
  );
  const closing = `${random.pick(["", "  "])}${marker}`;
  return `<<${flush ? "-" : ""}${marker}\n${lines.map((line) => `${line}\n`).join("")}${closing}`;
}

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL text with ${...}, which must stay literal.
import { describe, expect, it } from "vitest";
import { parseHcl } from "../../../lib/config/hcl-parser.js";
import { MAX_NESTING, MAX_SOURCE_CHARS } from "../../../lib/config/source-limits.js";

function values(text: string): Readonly<Record<string, unknown>> {
  const result = parseHcl(text);
  if (!result.ok) throw new Error(`expected values, got ${result.error}`);
  return result.value.values;
}

function error(text: string): string {
  const result = parseHcl(text);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value.values)}`);
  return result.error;
}

describe("parseHcl: values", () => {
  it.each([
    ["an empty text", "", {}],
    ["only comments", "# a\n// b\n/* c\n d */\n", {}],
    ["a string", 'a = "x"', { a: "x" }],
    ["no blanks", 'a="x"', { a: "x" }],
    ["an indented attribute", '   a = "x"\n', { a: "x" }],
    ["an integer", "a = 9443", { a: 9443 }],
    ["a negative integer", "a = -1", { a: -1 }],
    ["a minus apart from its number (HCL2)", "a = - 1", { a: -1 }],
    ["minus zero", "a = -0", { a: 0 }],
    ["a decimal", "a = 1.5", { a: 1.5 }],
    ["an exponent", "a = 1e3", { a: 1000 }],
    ["a signed exponent", "a = 2.5E-3", { a: 0.0025 }],
    ["zero", "a = 0", { a: 0 }],
    ["a decimal below one", "a = 0.25", { a: 0.25 }],
    ["hexadecimal (HCL v1)", "a = 0x1F", { a: 31 }],
    ["negative hexadecimal", "a = -0x10", { a: -16 }],
    ["true and false", "a = true\nb = false", { a: true, b: false }],
    ["null (HCL2)", "a = null", { a: null }],
    ["an empty list", "a = []", { a: [] }],
    ["a list", 'a = ["x", "y"]', { a: ["x", "y"] }],
    ["a trailing comma", 'a = ["x", "y",]', { a: ["x", "y"] }],
    ["a list over lines", 'a = [\n  "x",\n  "y",\n]', { a: ["x", "y"] }],
    ["a comma leading a line", 'a = ["x"\n, "y"]', { a: ["x", "y"] }],
    ["a mixed list", 'a = [1, true, null, "x", [2], { b = 1 }]', { a: [1, true, null, "x", [2], { b: 1 }] }],
    ["an empty object", "a = {}", { a: {} }],
    ["an object", 'a = { b = 1, c = "d" }', { a: { b: 1, c: "d" } }],
    ["an object over lines", "a = {\n  b = 1\n  c = 2\n}", { a: { b: 1, c: 2 } }],
    ["colons in an object (HCL2)", 'a = { b: 1, "c d": 2 }', { a: { b: 1, "c d": 2 } }],
    ["a nested object", "a = { b = { c = 2 } }", { a: { b: { c: 2 } } }],
    ["a block", 'context {\n  region = "eu"\n}', { context: [{ region: "eu" }] }],
    [
      "a block on one line",
      'context { region = "eu", zone = "a" }',
      { context: [{ region: "eu", zone: "a" }] },
    ],
    ["an empty block", "c {}", { c: [{}] }],
    ["a repeated block", "c {\n a = 1\n}\nc {\n}", { c: [{ a: 1 }, {}] }],
    ["a labelled block", 'p "k8s" {\n}', { p: { k8s: [{}] } }],
    ["a word label (HCL v1)", "p k8s {\n}", { p: { k8s: [{}] } }],
    ["two labels", 'p "a" "b" {\n x = 1\n}', { p: { a: { b: [{ x: 1 }] } } }],
    ["blocks sharing a label", 'p "x" "y" {\n}\np "x" "z" {\n}', { p: { x: { y: [{}], z: [{}] } } }],
    ["a block in a block", "c {\n d {\n e = 1\n }\n d {\n }\n}", { c: [{ d: [{ e: 1 }, {}] }] }],
    ["a block inside an object (HCL v1)", "a = { b { c = 1 } }", { a: { b: [{ c: 1 }] } }],
    ["a quoted key (HCL v1)", '"a b" = 1', { "a b": 1 }],
    ["a dotted key (HCL v1)", "a.b = 1", { "a.b": 1 }],
    ["a dashed key", "a-b = 1", { "a-b": 1 }],
    ["a Unicode key", "é = 1", { é: 1 }],
    ["commas between items (HCL v1)", "a = 1, b = 2", { a: 1, b: 2 }],
    ["items on one line (HCL v1)", "a = 1 b = 2", { a: 1, b: 2 }],
    ["a value on the next line (HCL v1)", 'a =\n  "x"', { a: "x" }],
    ["comments around values", "a = 1 # one\nb = 2 // two\nc = /* three */ 3", { a: 1, b: 2, c: 3 }],
    ["a comment marker inside a string", 'a = "x # not // a /* comment"', { a: "x # not // a /* comment" }],
    ["CRLF line ends", 'a = "x"\r\nb = 2\r\n', { a: "x", b: 2 }],
    ["a byte-order mark", '\uFEFFa = "x"', { a: "x" }],
    ["a __proto__ key, as an own property", "__proto__ = 1", JSON.parse('{"__proto__": 1}')],
  ])("%s", (_name, text, expected) => {
    expect(values(text)).toEqual(expected);
  });

  it.each([
    ["\\n \\t \\r", '"a\\nb\\tc\\rd"', "a\nb\tc\rd"],
    ['\\" and \\\\', '"say \\"hi\\" \\\\o/"', 'say "hi" \\o/'],
    ["\\a \\b \\f \\v (HCL v1)", '"\\a\\b\\f\\v"', "\u0007\b\f\v"],
    ["\\u", '"caf\\u00e9"', "café"],
    ["\\U", '"\\U0001F600"', "😀"],
    ["\\x (HCL v1)", '"\\x41"', "A"],
    ["octal (HCL v1)", '"\\101"', "A"],
    ["raw tabs and Unicode", '"tab\there é"', "tab\there é"],
    ["${...} kept as written", '"x-${var.name}-y"', "x-${var.name}-y"],
    ["quotes and braces inside ${...}", '"${lookup({a = 1}, "a")}"', '${lookup({a = 1}, "a")}'],
    ["escapes inside ${...} kept", '"${a("\\n")}"', '${a("\\n")}'],
    ["a line break inside ${...} (HCL v1)", '"${a\n}"', "${a\n}"],
    ["$${ and %{ with no meaning", '"$${a} %{if x}"', "$${a} %{if x}"],
    ["an empty string", '""', ""],
  ])("decodes %s in a string", (_name, literal, expected) => {
    expect(values(`a = ${literal}\n`)).toEqual({ a: expected });
  });

  it.each([
    ["a heredoc", "a = <<EOT\nline one\n  line two\nEOT\n", "line one\n  line two\n"],
    ["an empty heredoc", "a = <<EOT\nEOT\n", ""],
    ["an indented closing marker", "a = <<EOT\n  x\n  EOT\n", "  x\n"],
    ["a heredoc at the end of the text", "a = <<EOT\nx\nEOT", "x\n"],
    ["blanks after the markers", "a = <<EOT  \nx\nEOT  \n", "x\n"],
    ["a marker-like line", "a = <<EOT\nEOTX\n EOT", "EOTX\n"],
    ["no escapes in a heredoc", 'a = <<EOT\n"q" \\n ${x}\nEOT\n', '"q" \\n ${x}\n'],
    ["CRLF in a heredoc", "a = <<EOT\r\nx\r\nEOT\r\n", "x\r\n"],
    ["<<- removes the common indentation", "a = <<-EOT\n    hello\n      world\n  EOT\n", "hello\n  world\n"],
    ["<<- counts tabs", "a = <<-EOT\n\t  hello\n  \tworld\n  EOT\n", "hello\nworld\n"],
    ["<<- leaves blank lines", "a = <<-EOT\n  x\n      \n\n  y\nEOT\n", "x\n      \n\ny\n"],
    ["<<- of blank lines only", "a = <<-EOT\n   \nEOT\n", "   \n"],
  ])("reads %s", (_name, text, expected) => {
    expect(values(text)).toEqual({ a: expected });
  });

  it("reads a heredoc followed by more attributes", () => {
    expect(values('a = <<EOT\nx\nEOT\nb = "y"\n')).toEqual({ a: "x\n", b: "y" });
  });

  it("lists every top-level key with its line, repeats included, and no nested keys", () => {
    const text = `# comment
a = "x # not a comment"
/* multi
   line */
list = [
  "b = 1",
]
context {
  inner = "y"
}
doc = <<EOT
not = a key
EOT
plugin "k8s" {
}
"quoted" = 1, a = 2
`;
    const result = parseHcl(text);
    expect(result.ok && result.value.keys).toEqual([
      { name: "a", line: 2 },
      { name: "list", line: 5 },
      { name: "context", line: 8 },
      { name: "doc", line: 11 },
      { name: "plugin", line: 14 },
      { name: "quoted", line: 16 },
      { name: "a", line: 16 },
    ]);
  });

  it("keeps the last of a repeated top-level key (parse-config reports the repeat)", () => {
    expect(values("a = 1\na = 2\nc = 1\nc {\n}\n")).toEqual({ a: 2, c: [{}] });
  });
});

describe("parseHcl: errors name their line", () => {
  it.each([
    ["a bare word", "INVALID", 'line 1: expected "key = value" or a block, got "INVALID"'],
    [
      "a key without =",
      'a = 1\ncluster "prod"\n',
      'line 2: expected "key = value" or a block, got "cluster \\"prod\\""',
    ],
    [
      "a key and labels with =",
      'a "b" = 1',
      'line 1: expected "key = value" or a block, got "a \\"b\\" = 1" (in "a")',
    ],
    ["a colon outside an object", "a: 1", 'line 1: expected "key = value" or a block, got "a: 1"'],
    ["a missing value at the end", "a = 1\ncluster =\n", 'line 2: missing value for "cluster"'],
    ["a missing value before a key", "a =\nb = 1\n", 'line 1: missing value for "a"'],
    ["a missing value before }", "c {\n a = }\n", 'line 2: missing value for "a" (in "c")'],
    ["a missing value before ,", "a = , b = 1", 'line 1: missing value for "a"'],
    [
      "an unquoted string",
      "a = 1\ncluster = production\n",
      'line 2: "production" is not a value (a string is written in quotes: "production") (in "cluster")',
    ],
    [
      "an expression",
      "a = var.x",
      'line 1: "var.x" is not a value (a string is written in quotes: "var.x") (in "a")',
    ],
    ["an operator", "a = 1 + 2", 'line 1: unexpected "+"'],
    [
      "a function call",
      'a = f("x")',
      'line 1: "f" is not a value (a string is written in quotes: "f") (in "a")',
    ],
    ["a stray }", "a = 1\n}\n", 'line 2: unexpected "}"'],
    ["a stray ]", "a = 1\n]\n", 'line 2: unexpected "]"'],
    ["a stray =", "= 1", 'line 1: unexpected "="'],
    ["a stray comma", "a = 1,,", 'line 1: unexpected ","'],
    ["a value with no key", '"x"', 'line 1: expected "key = value" or a block, got "\\"x\\""'],
    ["an unclosed block", 'a = 1\ncontext {\n a = "b"\n', 'line 2: "{" is never closed (in "context")'],
    ["an unclosed object", "a = {\n b = 1\n", 'line 1: "{" is never closed (in "a")'],
    ["an unclosed list", 'a = 1\nb = ["a",\n', 'line 2: "[" is never closed (in "b")'],
    ["an unclosed list without comma", 'b = ["a"\n', 'line 1: "[" is never closed (in "b")'],
    [
      "a list closed by }",
      "a = [1,\n2}\n",
      'line 2: expected "," or "]" after a list item, got "}" (in "a")',
    ],
    [
      "list items without comma",
      'a = ["x" "y"]',
      'line 1: expected "," or "]" after a list item, got the string "y" (in "a")',
    ],
    ["an empty list item", "a = [1, , 2]", 'line 1: unexpected "," (in "a")'],
    [
      "a word in a list",
      "a = [x]",
      'line 1: "x" is not a value (a string is written in quotes: "x") (in "a")',
    ],
    [
      "a repeated key in a block",
      "c {\n a = 1\n a = 2\n}",
      'line 3: key "a" is repeated (first on line 2) (in "c")',
    ],
    [
      "a repeated key in an object",
      "o = { a = 1, a = 2 }",
      'line 1: key "a" is repeated (first on line 1) (in "o")',
    ],
    [
      "an attribute and a block",
      "c {\n d = 1\n d {\n }\n}",
      'line 3: key "d" is repeated (first on line 2) (in "c")',
    ],
    [
      "a block and an attribute",
      "c {\n d {\n }\n d = 1\n}",
      'line 4: key "d" is repeated (first on line 2) (in "c")',
    ],
    [
      "blocks with and without a label",
      'c {\n d {\n }\n d "x" {\n }\n}',
      'line 4: key "d" is repeated (first on line 2) (in "c")',
    ],
    ["an unterminated string", 'a = 1\nb = 2\nc = "x\nd = 4\n', 'line 3: unterminated string (in "c")'],
    ["a string at the end", 'a = "x', 'line 1: unterminated string (in "a")'],
    ["an escaped closing quote", 'a = "x\\"\n', 'line 1: unterminated string (in "a")'],
    ["an unterminated ${", 'a = "${x\nb = 1\n', 'line 1: unterminated string (in "a")'],
    [
      "an invalid escape",
      'a = 1\nb = "C:\\path"',
      'line 2: invalid escape "\\p" in a string (write \\\\ for a backslash) (in "b")',
    ],
    ["a short \\u escape", 'a = "\\u12"', 'line 1: invalid escape "\\u12" in a string (in "a")'],
    ["a surrogate escape", 'a = "\\uD800"', 'line 1: invalid escape "\\uD800" in a string (in "a")'],
    ["a non-ASCII \\x escape", 'a = "\\xff"', 'line 1: invalid escape "\\xff" in a string (in "a")'],
    ["an unterminated comment", "a = 1\n/* open\n", "line 2: unterminated /* comment"],
    ["an unterminated heredoc", "a = 1\nb = <<EOT\nx\n", 'line 2: unterminated heredoc <<EOT (in "b")'],
    [
      "text after a heredoc marker",
      "a = <<EOT x\nEOT\n",
      'line 1: heredoc <<EOT: its text starts on the line after the marker (in "a")',
    ],
    ["<< without a marker", "a = << 1", 'line 1: unexpected "<" (in "a")'],
    ["a number with two points", "a = 1.2.3", 'line 1: invalid number "1.2.3" (in "a")'],
    ["a number without decimals", "a = 1.", 'line 1: invalid number "1." (in "a")'],
    ["a number and letters", "a = 12ab", 'line 1: invalid number "12ab" (in "a")'],
    [
      "a leading zero",
      "a = 010",
      'line 1: ambiguous number "010": HCL v1 read a leading 0 as octal; write it without the 0 (in "a")',
    ],
    ["a number out of range", "a = 1e400", 'line 1: number "1e400" is out of range (in "a")'],
    ["a lone minus", "a = -x", 'line 1: unexpected "-" (in "a")'],
    ["a control character", "a = 1\n\u0000", 'line 2: unexpected "\\u0000"'],
    ["an emoji", "a = 😀", 'line 1: unexpected "😀" (in "a")'],
  ])("%s", (_name, text, message) => {
    expect(error(text)).toBe(message);
  });

  it("reports the first of two problems", () => {
    expect(error('a = oops\nb = "unterminated\n')).toBe(
      'line 1: "oops" is not a value (a string is written in quotes: "oops") (in "a")',
    );
  });

  it("counts lines inside strings, heredocs and comments", () => {
    expect(error('a = "${\n}"\nb = <<EOT\n\n\nEOT\n/*\n\n*/\n}')).toBe('line 10: unexpected "}"');
  });

  it("shortens a long line it quotes", () => {
    expect(error(`${"x".repeat(100)}\n`)).toBe(
      `line 1: expected "key = value" or a block, got "${"x".repeat(57)}..."`,
    );
  });
});

describe("parseHcl: bounds", () => {
  const nestedList = (depth: number) => `x = ${"[".repeat(depth)}${"]".repeat(depth)}\n`;

  it(`accepts ${MAX_NESTING} levels of nesting`, () => {
    expect(parseHcl(nestedList(MAX_NESTING)).ok).toBe(true);
  });

  it.each([
    ["lists", nestedList(MAX_NESTING + 1), 1, "x"],
    ["300 nested lists", nestedList(300), 1, "x"],
    ["100,000 nested lists", nestedList(100_000), 1, "x"],
    ["objects", `a = 1\nx = ${"{ a = ".repeat(MAX_NESTING + 1)}1${" }".repeat(MAX_NESTING + 1)}\n`, 2, "x"],
    ["blocks", `${"b {\n".repeat(MAX_NESTING + 1)}${"}\n".repeat(MAX_NESTING + 1)}`, MAX_NESTING + 1, "b"],
    ["unclosed brackets", `x = ${"[".repeat(500)}`, 1, "x"],
  ])("refuses %s nested too deep with a one-line error naming the line and key", (_name, text, line, key) => {
    expect(error(text)).toBe(
      `line ${line}: lists, objects and blocks are nested deeper than ${MAX_NESTING} levels (in "${key}")`,
    );
  });

  it("refuses a text over 1 MiB, naming the line where the limit falls", () => {
    const text = 'a = "x"\n'.repeat(Math.ceil(MAX_SOURCE_CHARS / 8) + 1);
    expect(error(text)).toBe(
      `line ${MAX_SOURCE_CHARS / 8 + 1}: the configuration is larger than 1 MiB (${MAX_SOURCE_CHARS} characters)`,
    );
  });

  it("accepts a text of exactly 1 MiB", () => {
    const line = 'a = "x"\n';
    const text = `${"#".repeat(MAX_SOURCE_CHARS - line.length - 1)}\n${line}`;
    expect(text.length).toBe(MAX_SOURCE_CHARS);
    expect(values(text)).toEqual({ a: "x" });
  });

  it("reads a large heredoc and many keys without recursing", () => {
    const heredoc = `a = <<-EOT\n${"  x\n".repeat(200_000)}EOT\n`;
    expect((values(heredoc).a as string).length).toBe(400_000);
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i} = ${i}`).join("\n");
    expect(Object.keys(values(keys))).toHaveLength(50_000);
  });

  it("leaves Error.stackTraceLimit and the global object alone", () => {
    const limit = Error.stackTraceLimit;
    const globals = Object.keys(globalThis).sort();
    parseHcl(nestedList(300));
    parseHcl('a = "x"\nc {\n b = [1, 2]\n}\n');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(Object.keys(globalThis).sort()).toEqual(globals);
  });
});

import { describe, expect, it } from "vitest";
import { scanHcl } from "../../../lib/config/hcl-scan.js";

describe("scanHcl", () => {
  it("finds top-level attribute and block keys with their lines, skipping nested ones and comments", () => {
    const text = `# comment
a = "x # not a comment"
// comment
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
`;
    expect(scanHcl(text)).toEqual({
      keys: [
        { name: "a", line: 2 },
        { name: "list", line: 6 },
        { name: "context", line: 9 },
        { name: "doc", line: 12 },
        { name: "plugin", line: 15 },
      ],
      statementLines: [2, 6, 9, 12, 15],
    });
  });

  it.each([
    ['a = "x\nb = 1\n', 1, "unterminated string"],
    ['a = "x\\"\n', 1, "unterminated string"],
    ["a = 1\n/* open\n", 2, "unterminated /* comment"],
    ["a = <<EOT\nx\n", 1, "unterminated heredoc <<EOT"],
    ["a = [1,\n2}\n", 2, 'unexpected "}"'],
    ["a = 1\nb\n", 2, 'expected "key = value" or a block, got "b"'],
    ["a = 1\nb == 2\n", 2, 'expected "key = value" or a block, got "b == 2"'],
    ["x {\n  y = 1\n", 1, '"{" is never closed'],
    ["a =\nb = 1\n", 1, 'missing value for "a"'],
    ["a = 1\n]\n", 2, 'unexpected "]"'],
  ])("reports %j at line %i", (text, line, message) => {
    expect(scanHcl(text).error).toEqual({ line, message });
  });
});

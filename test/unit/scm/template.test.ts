/** The template engine's own contract: error locations, and no exception whatever the input. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { executeTemplate, parseTemplate, templateData } from "../../../lib/scm/template/index.js";

const OBJECTS = JSON.parse(readFileSync(new URL("./golden/objects.json", import.meta.url), "utf8")) as {
  pod: { metadata?: unknown; spec?: unknown };
  node: { metadata?: unknown; spec?: unknown };
};
const DATA = templateData({
  trustDomain: "example.org",
  clusterName: "demo",
  clusterDomain: "",
  node: OBJECTS.node,
  pod: OBJECTS.pod,
});

describe("template errors locate the problem", () => {
  it("a parse error carries Go's message, the line and the column (bytes) of the offending token", () => {
    expect(parseTemplate("x", "line one\n  {{ .A | nope }}")).toEqual({
      ok: false,
      error: { message: 'template: x:2: function "nope" not defined', line: 2, column: 10 },
    });
  });

  it("an execution error carries Go's name:line:column and the node", () => {
    const template = parseTemplate("spiffeIDTemplate", "é/\n{{ .PodMeta.Nmae }}");
    if (!template.ok) throw new Error(template.error.message);
    expect(executeTemplate(template.value, DATA)).toEqual({
      ok: false,
      error: {
        message:
          'template: spiffeIDTemplate:2:11: executing "spiffeIDTemplate" at <.PodMeta.Nmae>: can\'t evaluate field Nmae in type *v1.ObjectMeta',
        line: 2,
        column: 11,
      },
    });
  });

  it("a parsed template can be executed many times", () => {
    const template = parseTemplate("t", "{{ .PodMeta.Namespace }}/{{ .NodeMeta.Name }}");
    if (!template.ok) throw new Error(template.error.message);
    expect([executeTemplate(template.value, DATA), executeTemplate(template.value, DATA)]).toEqual([
      { ok: true, value: "shop/node-a" },
      { ok: true, value: "shop/node-a" },
    ]);
  });
});

describe("no input makes the engine throw", () => {
  const pieces = fc.constantFrom(
    "{{",
    "}}",
    "{{-",
    "-}}",
    " ",
    ".",
    ".PodMeta",
    ".Labels",
    ".Name",
    "$",
    "$x",
    ":=",
    "=",
    "|",
    "(",
    ")",
    '"',
    "`",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "nil",
    "true",
    "1",
    "-2",
    "0x",
    "'a'",
    "index",
    "len",
    "printf",
    '"%v"',
    "and",
    "or",
    "eq",
    "slice",
    "print",
    "html",
    "call",
    "/*",
    "*/",
    "\n",
    "é",
  );

  it("parses and executes arbitrary token soup to a result", () => {
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 24 }), (tokens) => {
        const template = parseTemplate("fuzz", tokens.join(""));
        if (template.ok) {
          const result = executeTemplate(template.value, DATA);
          expect(typeof result.ok).toBe("boolean");
        } else {
          expect(template.error.message).toMatch(/^template: fuzz:\d+: /);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("bounded work (deliberate limits; Go's stack grows where JavaScript's does not)", () => {
  const run = (text: string): string => {
    const template = parseTemplate("x", text);
    if (!template.ok) return template.error.message;
    const result = executeTemplate(template.value, DATA);
    return result.ok ? result.value : result.error.message;
  };

  it("caps nested parentheses with Go's message, and nested if/with/range", () => {
    expect(run(`{{${"(".repeat(300)}1${")".repeat(300)}}}`)).toBe("1");
    expect(run(`{{${"(".repeat(301)}1${")".repeat(301)}}}`)).toBe(
      "template: x:1: max expression depth exceeded",
    );
    expect(run(`${"{{if true}}".repeat(300)}x${"{{end}}".repeat(300)}`)).toBe("x");
    expect(run(`${"{{if true}}".repeat(301)}x${"{{end}}".repeat(301)}`)).toBe(
      "template: x:1: if, with and range nested more than 300 deep are not supported",
    );
  });

  it("caps recursive template calls, their nesting, and the steps of one execution", () => {
    expect(run('{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}')).toMatch(
      /exceeded maximum template depth \(100\)$/,
    );
    expect(
      run(
        `{{define "r"}}${"{{if true}}".repeat(250)}{{template "r" .}}${"{{end}}".repeat(250)}{{end}}{{template "r" .}}`,
      ),
    ).toMatch(/if, with, range and template nested more than 400 deep$/);
    expect(run(`${"{{range 10}}".repeat(7)}x${"{{end}}".repeat(7)}`)).toMatch(
      /template execution exceeded 1000000 steps$/,
    );
  });
});

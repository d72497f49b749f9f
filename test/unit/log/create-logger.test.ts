import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, toPinoLevel } from "../../../lib/log/create-logger.js";
import { LogField } from "../../../lib/log/log-fields.js";
import { formatTextLine } from "../../../lib/log/text-format.js";

function memory(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => lines.push(line) };
}

function flush(logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
}

describe("createLogger", () => {
  it.each([
    ["warning", "warn"],
    ["WARN", "warn"],
    ["panic", "fatal"],
    ["Info", "info"],
    ["trace", "trace"],
  ])("maps log_level %s to pino level %s", (level, expected) => {
    expect(toPinoLevel(level)).toBe(expected);
    expect(createLogger({ level }, memory()).level).toBe(expected);
  });

  it("writes JSON with level labels and ISO time, filtered by level", () => {
    const sink = memory();
    const logger = createLogger({ level: "warning" }, sink);
    logger.info("hidden");
    logger.warn({ [LogField.spiffeId]: "spiffe://domain.test/x" }, "shown");
    expect(sink.lines).toHaveLength(1);
    const record = JSON.parse(sink.lines[0] as string);
    expect(record).toMatchObject({ level: "warn", msg: "shown", spiffe_id: "spiffe://domain.test/x" });
    expect(new Date(record.time).toISOString()).toBe(record.time);
    expect(record).not.toHaveProperty("pid");
  });

  it("writes one logrus-style text line per record", () => {
    const sink = memory();
    const logger = createLogger({ level: "info", format: "text" }, sink);
    logger.info({ [LogField.namespace]: "default", [LogField.pod]: "my pod" }, "entry created");
    expect(sink.lines).toEqual([
      expect.stringMatching(/^time="[^"]+" level=info msg="entry created" namespace=default pod="my pod"\n$/),
    ]);
  });

  it("appends to log_path with file mode 0640", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "registrar-log-")), "registrar.log");
    writeFileSync(path, "existing\n", { mode: 0o640 });
    const logger = createLogger({ level: "info", path });
    logger.info("appended");
    await flush(logger);
    const lines = readFileSync(path, "utf8").trim().split("\n");
    expect(lines[0]).toBe("existing");
    expect(JSON.parse(lines[1] as string)).toMatchObject({ msg: "appended" });
  });

  it("creates log_path with file mode 0640", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "registrar-log-")), "new.log");
    const logger = createLogger({ level: "info", path });
    logger.info("first");
    await flush(logger);
    expect(statSync(path).mode & 0o777).toBe(0o640 & ~process.umask());
  });

  it("throws with the path when log_path cannot be opened", () => {
    expect(() => createLogger({ level: "info", path: "/nonexistent-dir/registrar.log" })).toThrow(
      "unable to open log file /nonexistent-dir/registrar.log",
    );
  });
});

describe("formatTextLine", () => {
  it("shows a serialised error by its message", () => {
    const line = JSON.stringify({
      time: "t",
      level: "error",
      msg: "failed",
      err: { type: "Error", message: "boom" },
    });
    expect(formatTextLine(line)).toBe('time="t" level=error msg="failed" err="boom"\n');
  });

  it("passes through a line that is not JSON", () => {
    expect(formatTextLine("plain")).toBe("plain\n");
  });
});

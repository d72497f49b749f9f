/**
 * Renders pino's JSON records as logrus-style text lines (`time="…" level=info msg="…" k=v`), the
 * format the Go registrar's `log_format = "text"` produced, without pulling in pino-pretty.
 */

const BARE_VALUE = /^[A-Za-z0-9_.\-/:@+]+$/;
// pino bookkeeping that logrus text never showed.
const OMITTED = new Set(["time", "level", "msg", "pid", "hostname"]);

/** One text line (with a trailing newline) for one pino JSON record line. */
export function formatTextLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith("\n") ? jsonLine : `${jsonLine}\n`;
  }
  const parts = [`time=${quote(String(record.time ?? ""))}`, `level=${String(record.level ?? "")}`];
  if (record.msg !== undefined) parts.push(`msg=${quote(String(record.msg))}`);
  for (const [key, value] of Object.entries(record)) {
    if (!OMITTED.has(key)) parts.push(`${key}=${renderValue(value)}`);
  }
  return `${parts.join(" ")}\n`;
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return BARE_VALUE.test(value) ? value : quote(value);
  if (typeof value === "object" && value !== null) {
    // Serialised errors: the message is what a reader of a text log wants on the line.
    const error = value as { message?: unknown; type?: unknown };
    if (typeof error.message === "string" && typeof error.type === "string") return quote(error.message);
    return quote(JSON.stringify(value));
  }
  return String(value);
}

function quote(text: string): string {
  return JSON.stringify(text);
}

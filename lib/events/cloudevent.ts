/**
 * Reads a CloudEvent (spec 1.0) from an HTTP request in binary mode (`ce-*` headers, data in the
 * body) or structured mode (`application/cloudevents+json`). Only what the registrar needs:
 * the context attributes, the extensions and the data parsed as JSON when it is JSON.
 */

export interface CloudEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly specversion: string;
  readonly subject?: string;
  /** Extension attributes (e.g. ApiServerSource's `kind`, `name`, `namespace`, `apiversion`). */
  readonly extensions: Readonly<Record<string, string>>;
  /** Parsed JSON data, the raw text for non-JSON data, or undefined when there is none. */
  readonly data: unknown;
}

export type CloudEventResult = { ok: true; event: CloudEvent } | { ok: false; message: string };

/** The part of `Headers` read here (names in any case), so in-process deliveries need no Headers object. */
export interface HeaderLookup {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

const CONTEXT_ATTRIBUTES = new Set([
  "id",
  "type",
  "source",
  "specversion",
  "subject",
  "time",
  "datacontenttype",
  "dataschema",
]);
const REQUIRED = ["id", "type", "source", "specversion"] as const;

/** Parses a CloudEvent from request headers (any case) and the body text. */
export function parseCloudEvent(headers: HeaderLookup, body: string): CloudEventResult {
  const contentType = headers.get("content-type") ?? "";
  if (contentType.toLowerCase().startsWith("application/cloudevents+json")) return parseStructured(body);
  if (contentType.toLowerCase().startsWith("application/cloudevents-batch+json")) {
    return { ok: false, message: "batched CloudEvents are not supported: send one event per request" };
  }
  return parseBinary(headers, contentType, body);
}

function parseBinary(headers: HeaderLookup, contentType: string, body: string): CloudEventResult {
  const attributes: Record<string, string> = {};
  headers.forEach((value, name) => {
    const key = name.toLowerCase();
    if (key.startsWith("ce-")) attributes[key.slice(3)] = value;
  });
  if (Object.keys(attributes).length === 0) {
    return {
      ok: false,
      message:
        "not a CloudEvent: no ce-* headers (binary mode) and content-type is not application/cloudevents+json (structured mode)",
    };
  }
  const data = body === "" ? undefined : isJson(contentType) ? parseJson(body) : body;
  if (data instanceof Error)
    return { ok: false, message: `CloudEvent data is not valid JSON: ${data.message}` };
  return build(attributes, data);
}

function parseStructured(body: string): CloudEventResult {
  const parsed = parseJson(body);
  if (parsed instanceof Error)
    return { ok: false, message: `structured CloudEvent is not valid JSON: ${parsed.message}` };
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, message: "structured CloudEvent must be a JSON object" };
  }
  const attributes: Record<string, string> = {};
  let data: unknown;
  for (const [key, value] of Object.entries(parsed)) {
    if (key === "data") data = value;
    else if (key === "data_base64")
      data = typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : value;
    else if (typeof value === "object" && value !== null) {
      // Attributes are strings (extensions may be numbers or booleans), never objects or lists.
      return { ok: false, message: `CloudEvent attribute ${JSON.stringify(key)} must be a string` };
    } else if (value !== null && value !== undefined) attributes[key] = String(value);
  }
  return build(attributes, data);
}

function build(attributes: Record<string, string>, data: unknown): CloudEventResult {
  const missing = REQUIRED.filter((name) => !attributes[name]);
  if (missing.length > 0)
    return { ok: false, message: `CloudEvent is missing required attribute(s): ${missing.join(", ")}` };
  if (attributes.specversion !== "1.0") {
    return {
      ok: false,
      message: `unsupported CloudEvents specversion "${attributes.specversion}" (want 1.0)`,
    };
  }
  const extensions: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes))
    if (!CONTEXT_ATTRIBUTES.has(key)) extensions[key] = value;
  const event: CloudEvent = {
    id: attributes.id as string,
    type: attributes.type as string,
    source: attributes.source as string,
    specversion: "1.0",
    ...(attributes.subject === undefined ? {} : { subject: attributes.subject }),
    extensions,
    data,
  };
  return { ok: true, event };
}

function isJson(contentType: string): boolean {
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return (
    mediaType === "" ||
    mediaType === "application/json" ||
    mediaType.endsWith("+json") ||
    mediaType === "text/json"
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

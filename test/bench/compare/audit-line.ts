/**
 * One line of spire-server's audit log (1.13, `log_format = "json"`, `audit_log_enabled = true`):
 * every API call is logged as one JSON object with `"type":"audit"`, and a batch call logs one line
 * per item, e.g. one per entry of a BatchCreateEntry, with the item's `status` ("success" or
 * "error" with `status_code`: 6 for an entry that already exists, 5 for one not found) and the
 * server's wall-clock `time` in nanoseconds. Create lines carry the entry's `selectors`
 * ("k8s:pod-name:x,k8s:ns:y") but not its id; update and delete lines carry `entry_id`. A
 * ListEntries line (one per page) carries the request's filter, when it has one (`by_selectors`,
 * `parent_id`, `spiffe_id`, ...; spire 1.13.3 `fieldsFromListEntryFilter`), not what it returned.
 */
import type { Selector } from "../../../lib/planner/entry.js";

/** The entry writes the audit log records; everything else is counted as another call. */
export type EntryWriteMethod = "BatchCreateEntry" | "BatchUpdateEntry" | "BatchDeleteEntry";

/** One audited API call (or one item of a batch call). */
export interface AuditRecord {
  /** The API method, e.g. "BatchCreateEntry", "ListEntries". */
  readonly method: string;
  /** `status` was "success". */
  readonly ok: boolean;
  /** The server's wall clock, in milliseconds since the epoch (with the log's sub-millisecond digits). */
  readonly atMs: number;
  /** The entry's selectors (create and update lines). */
  readonly selectors: readonly Selector[];
  /** The entry's id (update and delete lines). */
  readonly entryId?: string;
  /** ListEntries lines: whether the request had a filter (without one, the page is of every entry). */
  readonly filtered?: boolean;
}

const AUDIT_MARK = '"type":"audit"';
/** The fields spire-server logs for a ListEntries filter (telemetry names). */
const LIST_FILTER_FIELDS = [
  "by_selectors",
  "by_selector_match",
  "parent_id",
  "spiffe_id",
  "hint",
  "federates_with",
  "federates_with_match",
  "downstream",
] as const;
const WRITE_METHODS: ReadonlySet<string> = new Set<EntryWriteMethod>([
  "BatchCreateEntry",
  "BatchUpdateEntry",
  "BatchDeleteEntry",
]);

/** True for the methods that write entries. */
export function isEntryWrite(method: string): method is EntryWriteMethod {
  return WRITE_METHODS.has(method);
}

/** The audit record of `line`, or undefined for any other line (not JSON, not an audit line). */
export function parseAuditLine(line: string): AuditRecord | undefined {
  if (!line.includes(AUDIT_MARK)) return undefined;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (fields.type !== "audit" || typeof fields.method !== "string" || typeof fields.time !== "string") {
    return undefined;
  }
  const atMs = parseServerTime(fields.time);
  if (Number.isNaN(atMs)) return undefined;
  return {
    method: fields.method,
    ok: fields.status === "success",
    atMs,
    selectors: typeof fields.selectors === "string" ? parseSelectors(fields.selectors) : [],
    ...(typeof fields.entry_id === "string" ? { entryId: fields.entry_id } : {}),
    ...(fields.method === "ListEntries"
      ? { filtered: LIST_FILTER_FIELDS.some((name) => fields[name] !== undefined) }
      : {}),
  };
}

/**
 * An RFC 3339 UTC time with up to nine fractional digits ("2026-12-01T06:39:19.348806213Z") in
 * milliseconds since the epoch, keeping the digits below the millisecond (Date.parse drops them).
 * NaN when it is not such a time.
 */
export function parseServerTime(text: string): number {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (match === null) return Number.NaN;
  const seconds = Date.parse(`${match[1]}Z`);
  const fraction = match[2] === undefined ? 0 : Number(`0.${match[2]}`);
  return seconds + fraction * 1000;
}

/** "k8s:pod-name:x,k8s:ns:y" as selectors (the type is up to the first colon). */
export function parseSelectors(text: string): Selector[] {
  const selectors: Selector[] = [];
  for (const part of text.split(",")) {
    const colon = part.indexOf(":");
    if (colon > 0) selectors.push({ type: part.slice(0, colon), value: part.slice(colon + 1) });
  }
  return selectors;
}

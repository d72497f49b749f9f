/** How `npm run bench:compare` times entry writes: spire-server's audit log, followed as it grows. */
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAuditLine, parseServerTime } from "../../bench/compare/audit-line.js";
import { followEntryAudit } from "../../bench/compare/entry-audit.js";
import { followFile } from "../../bench/compare/file-follower.js";
import { entryIdsByPod, nodeKey, podUids } from "../../bench/compare/pod-key.js";

/** An audit line as spire-server 1.13.3 writes it (fields trimmed to those that matter here). */
function line(fields: Record<string, unknown>): string {
  return JSON.stringify({
    authorized_as: "local",
    level: "info",
    msg: "API accessed",
    service: "entry.v1.Entry",
    status: "success",
    type: "audit",
    ...fields,
  });
}

const create = (time: string, selectors: string, status = "success") =>
  line({ method: "BatchCreateEntry", selectors, time, status, spiffe_id: "spiffe://example.org/a" });
const remove = (time: string, id: string, status = "success") =>
  line({ method: "BatchDeleteEntry", entry_id: id, time, status });

const list = (time: string, filter: Record<string, string>) =>
  line({ method: "ListEntries", service: "entry.v1.Entry", time, ...filter });

describe("audit lines", () => {
  it("reads a create, a refused create, a delete, and ignores other lines", () => {
    expect(parseAuditLine(create("2026-12-01T06:39:19.348806213Z", "k8s:pod-name:x,k8s:ns:y"))).toEqual({
      method: "BatchCreateEntry",
      ok: true,
      atMs: Date.UTC(2026, 11, 1, 6, 39, 19) + 348.806213,
      selectors: [
        { type: "k8s", value: "pod-name:x" },
        { type: "k8s", value: "ns:y" },
      ],
    });
    const refused = line({
      method: "BatchCreateEntry",
      selectors: "k8s:pod-uid:1234",
      status: "error",
      status_code: 6,
      status_message: "similar entry already exists",
      time: "2026-12-01T06:41:33.614820812Z",
    });
    expect(parseAuditLine(refused)).toMatchObject({
      ok: false,
      selectors: [{ type: "k8s", value: "pod-uid:1234" }],
    });
    expect(parseAuditLine(remove("2026-12-01T06:41:59.19006019Z", "e-1"))).toMatchObject({
      method: "BatchDeleteEntry",
      ok: true,
      entryId: "e-1",
      selectors: [],
    });
    expect(
      parseAuditLine('{"level":"info","msg":"Configured","time":"2026-12-01T06:41:33.117342371Z"}'),
    ).toBeUndefined();
    expect(parseAuditLine('panic: "type":"audit" but not JSON')).toBeUndefined();
    expect(parseAuditLine(list("2026-12-01T06:41:59Z", {}))).toMatchObject({
      method: "ListEntries",
      filtered: false,
    });
    const filters: Record<string, string>[] = [
      { by_selectors: "k8s:pod-uid:u-1", by_selector_match: "MATCH_SUPERSET" },
      { parent_id: "spiffe://example.org/spire/agent/x" },
      { spiffe_id: "spiffe://example.org/a" },
    ];
    for (const filter of filters)
      expect(parseAuditLine(list("2026-12-01T06:41:59Z", filter))?.filtered).toBe(true);
    expect(parseAuditLine(create("2026-12-01T06:41:59Z", "k8s:pod-uid:u"))).not.toHaveProperty("filtered");
  });

  it("keeps the digits below the millisecond (to a float64's quarter of a microsecond at this epoch)", () => {
    expect(
      parseServerTime("2026-12-01T06:41:59.19006019Z") - parseServerTime("2026-12-01T06:41:59Z"),
    ).toBeCloseTo(190.06019, 3);
    expect(parseServerTime("2026-12-01T06:41:59Z")).toBe(Date.UTC(2026, 11, 1, 6, 41, 59));
    expect(parseServerTime("yesterday")).toBeNaN();
  });
});

describe("following a log", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("hands over complete lines only, in order, as the file grows", async () => {
    const path = join(dir, "log");
    await writeFile(path, "one\ntw");
    const seen: string[] = [];
    const follower = await followFile(path, {
      onLines: (lines) => seen.push(...lines),
      onRead: () => undefined,
      onError: (error) => {
        throw error;
      },
    });
    await follower.drain();
    expect(seen).toEqual(["one"]);
    await appendFile(path, "o\nthree\nfo");
    await follower.drain();
    expect(seen).toEqual(["one", "two", "three"]);
    expect(follower.progress()).toEqual({ bytes: 14, lines: 3 });
    await follower.stop();
  });

  it("times each pod's first create and the deletion of all its entries, whoever names it how", async () => {
    const path = join(dir, "spire-server.log");
    await writeFile(path, '{"level":"info","msg":"Starting","time":"2026-12-01T06:00:00Z"}\n');
    const uids = podUids();
    const audit = await followEntryAudit(path, uids);
    const created = audit.created(["ns/a", "ns/b", "ns/c"]);
    await appendFile(
      path,
      [
        create("2026-12-01T06:00:01.5Z", "k8s:pod-name:a,k8s:ns:ns"),
        create("2026-12-01T06:00:02Z", "k8s:pod-name:a,k8s:ns:ns", "error"),
        create("2026-12-01T06:00:02.25Z", "k8s:ns:ns,k8s:pod-name:b"),
        create("2026-12-01T06:00:03Z", "k8s:pod-uid:u-c"),
        create("2026-12-01T06:00:04Z", "k8s:agent_node_name:node-0"),
        "",
      ].join("\n"),
    );
    await audit.quiet(0, 1000);
    expect(created.reachedAt.size).toBe(2);
    uids.remember("u-c", "ns/c"); // the pod's create returned after its entry was written
    const times = await created.done(2000);
    const t = (iso: string) => parseServerTime(iso);
    expect(Object.fromEntries(times)).toEqual({
      "ns/a": t("2026-12-01T06:00:01.5Z"),
      "ns/b": t("2026-12-01T06:00:02.25Z"),
      "ns/c": t("2026-12-01T06:00:03Z"),
    });

    const deleted = audit.deleted(
      new Map([
        ["ns/a", ["e-a1", "e-a2"]],
        ["ns/b", ["e-b"]],
      ]),
    );
    await appendFile(
      path,
      [
        remove("2026-12-01T06:00:05Z", "e-a1"),
        remove("2026-12-01T06:00:06Z", "e-b"),
        remove("2026-12-01T06:00:06.5Z", "e-x", "error"),
        remove("2026-12-01T06:00:07Z", "e-a2"),
        list("2026-12-01T06:00:08Z", {}),
        list("2026-12-01T06:00:08Z", {
          by_selectors: "k8s:pod-uid:u-c",
          by_selector_match: "MATCH_SUPERSET",
        }),
        "",
      ].join("\n"),
    );
    expect(Object.fromEntries(await deleted.done(2000))).toEqual({
      "ns/a": t("2026-12-01T06:00:07Z"),
      "ns/b": t("2026-12-01T06:00:06Z"),
    });
    expect(audit.counts()).toEqual({
      lines: 12,
      auditLines: 11,
      created: 4,
      createRefused: 1,
      updated: 0,
      updateRefused: 0,
      deleted: 3,
      deleteRefused: 1,
      otherCalls: 2,
      listEntries: 2,
      listEntriesUnfiltered: 1,
    });
    await audit.stop();
  });

  it("times a reconcile-mode node entry's create under its node key", async () => {
    const path = join(dir, "spire-server.log");
    await writeFile(
      path,
      `${create("2026-12-01T06:00:01Z", "k8s_psat:agent_node_name:node-0,k8s_psat:cluster:bench")}\n`,
    );
    const audit = await followEntryAudit(path, podUids());
    const times = await audit.created([nodeKey("node-0")]).done(2000);
    expect(Object.fromEntries(times)).toEqual({ "node:node-0": parseServerTime("2026-12-01T06:00:01Z") });
    await audit.stop();
  });

  it("says when the log has no audit line at all", async () => {
    const path = join(dir, "spire-server.log");
    await writeFile(path, "time=2026-12-01T06:00:00Z level=info msg=Starting\n");
    const audit = await followEntryAudit(path, podUids());
    await expect(audit.created(["ns/a"]).done(100)).rejects.toThrow(
      "no audit line in the log at all: is audit_log_enabled set?",
    );
    await audit.stop();
  });

  it("waits for the quiet period after the last successful write", async () => {
    const path = join(dir, "spire-server.log");
    const written = new Date();
    await writeFile(path, `${create(written.toISOString(), "k8s:pod-name:a,k8s:ns:ns")}\n`);
    const audit = await followEntryAudit(path, podUids());
    await audit.quiet(150, 2000);
    // Never before 150 ms after the write's own time (the line's timestamp), however long reading took.
    expect(Date.now() - written.getTime()).toBeGreaterThanOrEqual(150);
    await expect(audit.quiet(10_000, 50)).rejects.toThrow("timed out");
    await audit.stop();
  });
});

describe("entries by pod", () => {
  it("collects every entry id of the wanted pods", () => {
    const entry = (id: string, selectors: string[]) => ({
      id,
      spiffeId: "spiffe://example.org/x",
      parentId: "spiffe://example.org/p",
      selectors: selectors.map((value) => ({ type: "k8s", value })),
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
    });
    const uids = podUids();
    uids.remember("u-b", "ns/b");
    const ids = entryIdsByPod(
      [
        entry("1", ["ns:ns", "pod-name:a"]),
        entry("2", ["pod-uid:u-b"]),
        entry("3", ["ns:ns", "pod-name:a"]),
        entry("4", ["ns:other", "pod-name:z"]),
      ],
      ["ns/a", "ns/b", "ns/c"],
      uids,
    );
    expect(Object.fromEntries(ids)).toEqual({ "ns/a": ["1", "3"], "ns/b": ["2"] });
  });
});

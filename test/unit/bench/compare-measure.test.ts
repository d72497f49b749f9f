/** The measuring parts of `npm run bench:compare`: which pod an entry is for, parity, statistics. */
import { describe, expect, it } from "vitest";
import type { Entry } from "../../../lib/planner/entry.js";
import { canonicalEntries, compareEntries, describeParity } from "../../bench/compare/parity.js";
import { podKeyOfEntry, podUids } from "../../bench/compare/pod-key.js";
import { median, percentile } from "../../bench/compare/stats.js";

function entry(overrides: Partial<Entry>): Entry {
  return {
    id: "id",
    spiffeId: "spiffe://example.org/ns/a/sa/x",
    parentId: "spiffe://example.org/spire-k8s-registrar/bench/node/node-0",
    selectors: [],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
    ...overrides,
  };
}

describe("pod keys", () => {
  it("names a pod by its ns and pod-name selectors, or by its pod-uid selector", () => {
    const uids = podUids();
    uids.remember("u-1", "a/p1");
    const byName = entry({
      selectors: [
        { type: "k8s", value: "pod-name:p0" },
        { type: "k8s", value: "ns:a" },
      ],
    });
    expect(podKeyOfEntry(byName, uids)).toBe("a/p0");
    expect(podKeyOfEntry(entry({ selectors: [{ type: "k8s", value: "pod-uid:u-1" }] }), uids)).toBe("a/p1");
    expect(
      podKeyOfEntry(entry({ selectors: [{ type: "k8s", value: "pod-uid:u-2" }] }), uids),
    ).toBeUndefined();
    const node = entry({ selectors: [{ type: "k8s_psat", value: "agent_node_name:node-0" }] });
    expect(podKeyOfEntry(node, uids)).toBeUndefined();
  });
});

describe("parity", () => {
  const a = entry({
    selectors: [
      { type: "k8s", value: "pod-name:p" },
      { type: "k8s", value: "ns:a" },
    ],
    dnsNames: ["10-1-0-1.a.pod.cluster.local", "10-1-0-1.a.pod"],
  });

  it("ignores entry ids and selector order, but not the order of DNS names", () => {
    const same = { ...a, id: "other", selectors: [...a.selectors].reverse() };
    expect(
      compareEntries(
        1,
        "cold",
        { system: "x", entries: canonicalEntries([a]) },
        { system: "y", entries: canonicalEntries([same]) },
      ).match,
    ).toBe(true);
    const reordered = { ...a, dnsNames: [...a.dnsNames].reverse() };
    const result = compareEntries(
      1,
      "cold",
      { system: "x", entries: canonicalEntries([a]) },
      { system: "y", entries: canonicalEntries([reordered]) },
    );
    expect(result).toMatchObject({ match: false, onlyFirst: 1, onlySecond: 1 });
    expect(describeParity(result)).toContain("1 only in x, 1 only in y");
  });

  it('compares every field but the id on "all" (the SCM group), only the identity otherwise', () => {
    const byUid = entry({ selectors: [{ type: "k8s", value: "pod-uid:u-1" }] });
    const variants: Partial<Entry>[] = [
      { x509SvidTtl: 3600 },
      { jwtSvidTtl: 300 },
      { hint: "web" },
      { storeSvid: true },
      { admin: true },
      { downstream: true },
      { federatesWith: ["other.org"] },
    ];
    for (const variant of variants) {
      const other = { ...byUid, ...variant };
      expect(canonicalEntries([other])).toEqual(canonicalEntries([byUid]));
      expect(canonicalEntries([other], "all")).not.toEqual(canonicalEntries([byUid], "all"));
    }
    const defaults = { ...byUid, id: "x", x509SvidTtl: 0, jwtSvidTtl: 0, hint: "", storeSvid: false };
    expect(canonicalEntries([defaults], "all")).toEqual(canonicalEntries([byUid], "all"));
    expect(canonicalEntries([{ ...byUid, federatesWith: ["b.org", "a.org"] }], "all")).toEqual(
      canonicalEntries([{ ...byUid, federatesWith: ["a.org", "b.org"] }], "all"),
    );
  });

  it("compares pod-uid selectors by the pod they name, when it is known", () => {
    const uids = podUids();
    uids.remember("u-1", "a/p1");
    uids.remember("u-2", "a/p1");
    const first = entry({ selectors: [{ type: "k8s", value: "pod-uid:u-1" }] });
    const second = entry({ selectors: [{ type: "k8s", value: "pod-uid:u-2" }] });
    expect(canonicalEntries([first], "all", uids)).toEqual(canonicalEntries([second], "all", uids));
    expect(canonicalEntries([first], "all", uids)[0]).toContain("selectors=[k8s:pod-uid:{a/p1}]");
    expect(canonicalEntries([first], "all")).not.toEqual(canonicalEntries([second], "all"));
    const unknown = entry({ selectors: [{ type: "k8s", value: "pod-uid:u-3" }] });
    expect(canonicalEntries([unknown], "all", uids)[0]).toContain("selectors=[k8s:pod-uid:u-3]");
  });

  it("counts duplicates", () => {
    const result = compareEntries(
      2,
      "burst",
      { system: "x", entries: canonicalEntries([a, a]) },
      { system: "y", entries: canonicalEntries([a]) },
    );
    expect(result).toMatchObject({ match: false, onlyFirst: 1, onlySecond: 0 });
  });
});

describe("statistics", () => {
  it("takes nearest-rank percentiles and the median", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

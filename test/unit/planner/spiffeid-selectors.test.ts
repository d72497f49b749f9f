import { describe, expect, it } from "vitest";
import { spiffeIdSelectors } from "../../../lib/planner/spiffeid-selectors.js";

describe("spiffeIdSelectors (reference §4.2)", () => {
  it("maps every field in the Go registrar's order, pod labels sorted by key", () => {
    expect(
      spiffeIdSelectors({
        arbitrary: ["pod-image-count:2", "custom:x"],
        nodeName: "n1",
        containerImage: "nginx:1",
        containerName: "web",
        serviceAccount: "sa",
        namespace: "ns",
        podUid: "uid-1",
        podName: "p",
        podLabel: { b: "2", a: "1" },
        agent_node_uid: "node-uid",
        cluster: "c1",
      }).map((s) => `${s.type}:${s.value}`),
    ).toEqual([
      "k8s_psat:cluster:c1",
      "k8s_psat:agent_node_uid:node-uid",
      "k8s:pod-label:a:1",
      "k8s:pod-label:b:2",
      "k8s:pod-name:p",
      "k8s:pod-uid:uid-1",
      "k8s:ns:ns",
      "k8s:sa:sa",
      "k8s:container-name:web",
      "k8s:container-image:nginx:1",
      "k8s:node-name:n1",
      "k8s:pod-image-count:2",
      "k8s:custom:x",
    ]);
  });

  it("emits nothing for empty fields", () => {
    expect(spiffeIdSelectors({ namespace: "", podName: undefined, arbitrary: [] })).toEqual([]);
    expect(spiffeIdSelectors({ namespace: "ns" })).toEqual([{ type: "k8s", value: "ns:ns" }]);
  });
});

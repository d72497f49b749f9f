/**
 * Two handlers finalizing the same SpiffeID at once (seen on the real API server: the pod's delete event
 * and the SpiffeID's update event arrive together). The slower one's finalizer removal finds the object
 * already gone (404); that is the goal reached, not an error an operator must act on.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SpiffeId } from "../../../lib/planner/spiffeid.js";
import { type CrdRig, manualSpiffeId, present, spiffeIdEvent, startCrdRig } from "./harness.js";

describe("concurrent finalization (crd mode)", () => {
  let rig: CrdRig;
  beforeEach(async () => {
    rig = await startCrdRig();
  });
  afterEach(() => rig.stop());

  it("answers 204 when another handler removed the SpiffeID between the read and the finalizer removal", async () => {
    rig.store.seed(manualSpiffeId("web"));
    expect((await rig.spiffeIdEvents.request(spiffeIdEvent("update", "default", "web"))).status).toBe(204);
    expect(await rig.entries()).toHaveLength(1);
    await rig.store.delete("default", "web");

    // The other handler finishes first: it removes the finalizer of the same version this one read.
    const replace = rig.store.replace.bind(rig.store);
    let raced = false;
    rig.store.replace = async (spiffeId: SpiffeId) => {
      if (!raced) {
        raced = true;
        const stored = present(await rig.store.get("default", "web"));
        await replace({ ...stored, metadata: { ...stored.metadata, finalizers: [] } });
      }
      return replace(spiffeId);
    };
    const response = await rig.spiffeIdEvents.request(spiffeIdEvent("update", "default", "web"));
    expect(raced).toBe(true);
    expect(response.status, await response.text()).toBe(204);
    expect(rig.spiffeId("default", "web")).toBeUndefined();
    expect(await rig.entries()).toEqual([]);
  });
});

/** The systems under test of `npm run bench:compare`, in the report's column order. */
import { CLUSTER } from "../identity.js";
import type { Settings } from "../settings.js";
import type { SystemUnderTest } from "../system.js";
import { projectClusterSpiffeId, projectClusterSpiffeIdKnative } from "./cluster-spiffeid.js";
import { floor } from "./floor.js";
import { goRegistrar } from "./go-registrar.js";
import { projectBridge } from "./project-bridge.js";
import { projectKnative } from "./project-knative.js";
import { spireControllerManager } from "./scm.js";

/** The systems `settings.systems` selects. */
export function selectedSystems(settings: Settings): SystemUnderTest[] {
  const all: SystemUnderTest[] = [
    projectBridge(settings.node),
    projectKnative(settings.node),
    goRegistrar(),
    spireControllerManager(CLUSTER),
    projectClusterSpiffeId(settings.node, CLUSTER),
    projectClusterSpiffeIdKnative(settings.node, CLUSTER),
    floor(),
  ];
  return all.filter((system) => settings.systems.includes(system.name));
}

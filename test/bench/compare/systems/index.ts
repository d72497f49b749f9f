/** The systems under test of `npm run bench:compare`, in the report's column order. */
import type { Settings } from "../settings.js";
import type { SystemName, SystemUnderTest } from "../system.js";
import { floor } from "./floor.js";
import { projectBridge } from "./project-bridge.js";
import { projectKnative } from "./project-knative.js";

/** The systems `settings.systems` selects. */
export function selectedSystems(settings: Settings): SystemUnderTest[] {
  const all: SystemUnderTest[] = [
    projectBridge(settings.nodeArgs),
    projectKnative(settings.nodeArgs),
    notYetAvailable("go", "Go v1.5.6"),
    notYetAvailable("scm", "SCM v0.6.6"),
    floor(),
  ];
  return all.filter((system) => settings.systems.includes(system.name));
}

/** A peer whose starter is not part of the harness yet. */
function notYetAvailable(name: SystemName, title: string): SystemUnderTest {
  return {
    name,
    title,
    unavailable: () => "no starter for it in test/e2e/harness yet",
    start: () => Promise.reject(new Error(`${title}: no starter`)),
  };
}

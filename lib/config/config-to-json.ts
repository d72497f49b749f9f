/**
 * The effective configuration as the file would spell it (snake_case keys, every default filled
 * in): what `registrar check-config` prints.
 */
import type { Config } from "./config.js";
import { CONFIG_KEYS } from "./keys.js";

/** A plain JSON-ready object keyed by config key, in `CONFIG_KEYS` order. */
export function configToJson(config: Config): Record<string, unknown> {
  return Object.fromEntries(CONFIG_KEYS.map((spec) => [spec.key, config[spec.field]]));
}

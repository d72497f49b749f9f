/** Public surface of the configuration module. */
export type { Config, LogFormat, LogLevelName, Mode } from "./config.js";
export { configToJson } from "./config-to-json.js";
export { CONFIG_KEYS, type KeySpec } from "./keys.js";
export {
  type ConfigResult,
  type LoadedConfig,
  loadConfig,
  parseConfig,
} from "./parse-config.js";
export type { Result } from "./result.js";

/** Public surface of the configuration module. */
export type { Config, LogFormat, LogLevelName, Mode } from "./config.js";
export { configToJson } from "./config-to-json.js";
export type { HclParser, HclParserLoader } from "./hcl-parser.js";
export { CONFIG_KEYS, type KeySpec } from "./keys.js";
export {
  type ConfigResult,
  type LoadedConfig,
  loadConfig,
  type ParseOptions,
  parseConfig,
} from "./parse-config.js";
export type { Result } from "./result.js";

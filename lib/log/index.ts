/** Public surface of the logging module. */
export { createLogger, type LogSettings, toPinoLevel } from "./create-logger.js";
export { LogField, type LogFieldName } from "./log-fields.js";
export { reasonOf } from "./reason.js";

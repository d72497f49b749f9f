export { formatSpiffeId, joinPath, parseSpiffeId, type SpiffeId, trustDomainFromString } from "./id.js";
export { isUnder } from "./is-under.js";
export { parsePath, parseRelativePath, pathError, segmentError } from "./path.js";
export { fail, ok, type Result } from "./result.js";
export { trustDomainError } from "./trust-domain.js";

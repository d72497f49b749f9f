/** Field derivations shared by every mode: warnings instead of failed entries, config IDs as invariants. */
import type { Result } from "../spiffe/result.js";
import { dnsNameError } from "./dns-name.js";
import { parseFederatesWith } from "./federation.js";
import type { ObjectRef, Warning } from "./warning.js";

/** The names SPIRE accepts, in order; each rejected one becomes a warning instead of failing the entry. */
export function acceptedDnsNames(names: readonly string[], object: ObjectRef, warnings: Warning[]): string[] {
  return names.filter((name) => {
    const error = dnsNameError(name);
    if (error === undefined) return true;
    warnings.push({
      code: "invalid-dns-name",
      object,
      message: `dropped DNS name ${JSON.stringify(name)}: ${error}`,
    });
    return false;
  });
}

/** The valid trust domains of the federation annotation; each invalid item becomes a warning. */
export function federatesWith(
  annotations: Readonly<Record<string, string>> | undefined,
  object: ObjectRef,
  warnings: Warning[],
): string[] {
  const parsed = parseFederatesWith(annotations);
  for (const { item, reason } of parsed.invalid) {
    warnings.push({
      code: "invalid-federated-trust-domain",
      object,
      message: `dropped federated trust domain ${JSON.stringify(item)}: ${reason}`,
    });
  }
  return parsed.trustDomains;
}

/** IDs built only from validated config; a failure means config validation was skipped, a bug. */
export function requireConfigId(id: Result<string>, key: string): string {
  if (!id.ok) throw new Error(`invalid ${key} reached the planner: ${id.error}`);
  return id.value;
}

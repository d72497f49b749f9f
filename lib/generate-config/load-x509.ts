/**
 * Loads @peculiar/x509 on first use, after `reflect-metadata` (its tsyringe dependency needs the
 * Reflect metadata API and throws at import without it). Loaded dynamically so that commands and
 * functions that never build certificates do not pay for it.
 */
export type X509Module = typeof import("@peculiar/x509");

/** The @peculiar/x509 module. Callers pass their `Crypto` to each call; no global provider is set. */
export async function loadX509(): Promise<X509Module> {
  await import("reflect-metadata");
  return import("@peculiar/x509");
}

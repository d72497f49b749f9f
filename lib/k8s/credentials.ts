/**
 * Where the Authorization header of API requests comes from: nothing (a client certificate or
 * anonymous), a fixed token or username/password, a token file that is re-read because bound
 * service-account tokens rotate, or an exec plugin (exec-credential.ts).
 */
import { readFile } from "node:fs/promises";

/** A source of the Authorization header; shared by every request of a client. */
export interface Credentials {
  /**
   * The Authorization header value for the next request; undefined when none is sent. Rejects with a
   * message naming the source when it fails (unreadable token file, failing exec plugin).
   */
  authorization(): Promise<string | undefined>;
  /**
   * Called after a 401: drops cached material. True when the next `authorization()` may differ, so
   * the request is worth sending once more.
   */
  invalidate(): boolean;
}

/** No Authorization header. */
export const noCredentials: Credentials = {
  authorization: async () => undefined,
  invalidate: () => false,
};

/** A bearer token from the kubeconfig. */
export function staticToken(token: string): Credentials {
  const header = `Bearer ${token}`;
  return { authorization: async () => header, invalidate: () => false };
}

/** HTTP basic authentication (`username` / `password` in the kubeconfig). */
export function basicAuth(username: string, password: string): Credentials {
  const header = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  return { authorization: async () => header, invalidate: () => false };
}

export interface TokenFileOptions {
  readonly now: () => number;
  /** Re-read the file when the last read is older than this (default one minute). */
  readonly maxAgeMs?: number;
}

/** Default age after which a token file is read again: kubelet rotates bound tokens well before expiry. */
export const TOKEN_FILE_MAX_AGE_MS = 60_000;

/**
 * A bearer token read from `path` (in-cluster service account, kubeconfig `tokenFile`), read again at
 * most every `maxAgeMs` and after a 401, so a rotated token is picked up without a restart.
 */
export function tokenFile(path: string, options: TokenFileOptions): Credentials {
  const maxAgeMs = options.maxAgeMs ?? TOKEN_FILE_MAX_AGE_MS;
  let cached: { header: string; readAt: number } | undefined;
  let reading: Promise<string> | undefined;

  const read = async (): Promise<string> => {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new Error(`cannot read token file ${path}: ${(error as Error).message}`, { cause: error });
    }
    const token = text.trim();
    if (!token) throw new Error(`token file ${path} is empty`);
    const header = `Bearer ${token}`;
    cached = { header, readAt: options.now() };
    return header;
  };

  return {
    async authorization() {
      if (cached && options.now() - cached.readAt < maxAgeMs) return cached.header;
      // Concurrent requests share one read.
      reading ??= read().finally(() => {
        reading = undefined;
      });
      return reading;
    },
    invalidate() {
      cached = undefined;
      return true;
    },
  };
}

/**
 * Optimistic concurrency for SpiffeID writes: a 409 means someone else wrote the object (or created one with
 * that name) since it was read, so the whole step is redone from a fresh read. Every step is idempotent,
 * so redoing one is safe. After `attempts` conflicts the last one is thrown (retryable: answered 503).
 */
import { KubeApiError } from "../k8s/errors.js";

export async function retryOnConflict<T>(step: (attempt: number) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (error) {
      const conflict = error instanceof KubeApiError && error.kind === "conflict";
      if (!conflict || attempt >= attempts) throw error;
    }
  }
}

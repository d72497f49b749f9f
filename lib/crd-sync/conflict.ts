/**
 * Optimistic concurrency for SpiffeID writes: a 409 means someone else wrote the object (or created one with
 * that name) since it was read, and a 404 on a write means someone deleted it since it was read (e.g. two
 * handlers finalizing it at once, one pod event and one SpiffeID event). Either way the whole step is redone
 * from a fresh read, which sees the current object (or none). Every step is idempotent, so redoing one is
 * safe. After `attempts` such failures the last one is thrown (a conflict is retryable: answered 503).
 */
import { KubeApiError } from "../k8s/errors.js";

export async function retryOnConflict<T>(step: (attempt: number) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (error) {
      const stale = error instanceof KubeApiError && (error.kind === "conflict" || error.status === 404);
      if (!stale || attempt >= attempts) throw error;
    }
  }
}

/**
 * Measures every unary SPIRE RPC at the transport, so latency and status are recorded per method
 * (ListEntries pages and Batch* calls each count once), whatever client call issued them. A failed
 * RPC is labelled with the code of the SpireError the client makes of it, so the histogram and the
 * logs name the same code.
 */
import { Code } from "@connectrpc/connect";
import { SpireError, toSpireError } from "./errors.js";
import type { SpireTransport } from "./transport.js";

/** Called once per RPC with the gRPC method name, the status code name ("OK", "Unavailable", ...) and seconds. */
export type RpcObserver = (method: string, code: string, seconds: number) => void;

export function instrumentTransport(spireTransport: SpireTransport, observe: RpcObserver): SpireTransport {
  const inner = spireTransport.transport;
  return {
    ...spireTransport,
    close: () => spireTransport.close(),
    transport: {
      async unary(method, signal, timeoutMs, header, input, contextValues) {
        const started = performance.now();
        try {
          const response = await inner.unary(method, signal, timeoutMs, header, input, contextValues);
          observe(method.name, "OK", (performance.now() - started) / 1000);
          return response;
        } catch (error) {
          // The code the client logs and returns (a missing socket is Unavailable, not connect's Internal).
          const code =
            error instanceof SpireError ? error.code : toSpireError(error, method.name, spireTransport).code;
          observe(method.name, Code[code], (performance.now() - started) / 1000);
          throw error;
        }
      },
      stream: (method, signal, timeoutMs, header, input, contextValues) =>
        inner.stream(method, signal, timeoutMs, header, input, contextValues),
    },
  };
}

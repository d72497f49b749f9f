import { createServer, type Server } from "node:net";

/**
 * Returns `count` distinct free TCP ports on 127.0.0.1. All listeners are held open until
 * every port is known, so the same port is never handed out twice within one call.
 * (Another process could still take a port before the peer binds it; on loopback in a test
 * machine that race is rare enough, and the peer's start then fails with a clear log.)
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(await listenOnAnyPort(server));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Returns one free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error("freePorts(1) returned no port");
  return port;
}

function listenOnAnyPort(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error(`unexpected listen address: ${String(address)}`));
        return;
      }
      resolve(address.port);
    });
  });
}

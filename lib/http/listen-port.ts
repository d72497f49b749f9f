/**
 * The port a function listens on, following both runtimes' conventions: under OpenFaaS's
 * of-watchdog (HTTP mode) the watchdog owns `port` (8080) and forwards to `upstream_url`, so the
 * function must listen on the upstream's port; under Knative `PORT` is set (8080 by default).
 */
export function listenPort(env: Readonly<Record<string, string | undefined>>): number {
  const upstream = env.upstream_url ?? env.http_upstream_url;
  if (upstream) {
    const url = new URL(upstream);
    return Number(url.port || (url.protocol === "https:" ? 443 : 80));
  }
  const raw = env.http_port ?? env.PORT ?? "8080";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `invalid listen port ${JSON.stringify(raw)} (from http_port or PORT): want an integer 0-65535`,
    );
  }
  return port;
}

/** True when a plain-HTTP GET of `url` answers 2xx within 2 s (a readiness probe). */
export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.ok;
}

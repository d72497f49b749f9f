/**
 * Where a function finds its configuration file: `-config`/`--config` on its command line, else
 * `REGISTRAR_CONFIG`, else the Go registrar's default `k8s-workload-registrar.conf`.
 */
export const DEFAULT_CONFIG_PATH = "k8s-workload-registrar.conf";

export function configPathFrom(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const match = /^--?config(?:=(.*))?$/.exec(arg);
    if (!match) continue;
    const value = match[1] ?? argv[i + 1];
    if (value) return value;
  }
  return configPathOr(undefined, env);
}

/** The file a `-config` flag names, else `REGISTRAR_CONFIG`, else the default (CLI and functions alike). */
export function configPathOr(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return flag ?? (env.REGISTRAR_CONFIG || DEFAULT_CONFIG_PATH);
}

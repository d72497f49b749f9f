/**
 * The webhook certificate directory (`webhook_cert_dir`): whether the registrar may write its own
 * certificate there, and writing `tls.crt`/`tls.key` so that a reader never sees a half-written file.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const CERT_FILE = "tls.crt";
export const KEY_FILE = "tls.key";

/** The chain is public; the key is readable by the owner only. */
const CERT_MODE = 0o644;
const KEY_MODE = 0o600;

/** The calls the write probe makes; tests substitute failures (a root user never sees EACCES). */
export interface ProbeFileSystem {
  mkdir(path: string, options: { recursive: true; mode: number }): Promise<unknown>;
  writeFile(path: string, data: string, options: { mode: number }): Promise<void>;
  rm(path: string, options: { force: true }): Promise<void>;
}

/**
 * `writable`: the directory exists (it is created, mode 0700, if missing) and a probe file could be
 * written there. `read-only`: a read-only mount (EROFS) or no write permission (EACCES, EPERM), so
 * the certificate is provided by the operator (a mounted Secret). Other errors are thrown.
 */
export async function certDirAccess(
  dir: string,
  fileSystem: ProbeFileSystem = { mkdir, writeFile, rm },
): Promise<"writable" | "read-only"> {
  const probe = join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await fileSystem.mkdir(dir, { recursive: true, mode: 0o700 });
    await fileSystem.writeFile(probe, "", { mode: KEY_MODE });
    await fileSystem.rm(probe, { force: true });
    return "writable";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EROFS" || code === "EACCES" || code === "EPERM") return "read-only";
    throw new Error(`checking webhook certificate directory permissions: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Writes `tls.key` (0600) then `tls.crt` (0644), each through a temporary file and a rename. */
export async function writeCertFiles(
  dir: string,
  certChainPem: string,
  privateKeyPem: string,
): Promise<void> {
  await writeAtomically(join(dir, KEY_FILE), privateKeyPem, KEY_MODE);
  await writeAtomically(join(dir, CERT_FILE), certChainPem, CERT_MODE);
}

async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, content, { mode });
    // The umask may have narrowed the mode; the key must be exactly 0600 and the chain readable.
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`writing ${path}: ${(error as Error).message}`, { cause: error });
  }
}

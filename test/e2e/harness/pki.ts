import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { runCommand } from "./process.js";

/** A certificate and its private key, as PEM files. */
export interface CertFiles {
  certPath: string;
  keyPath: string;
}

/** A throwaway PKI for one control plane, generated with the `openssl` CLI. */
export interface Pki {
  dir: string;
  /** The CA that signs every cert below; kube-apiserver's `--client-ca-file`. */
  ca: CertFiles;
  /** kube-apiserver's serving cert: SAN IP:127.0.0.1 and DNS:localhost. */
  apiServer: CertFiles;
  /** CN=admin, O=system:masters: cluster-admin through the client CA. */
  admin: CertFiles;
  /** What kube-apiserver presents to admission webhooks (CN=kube-apiserver-webhook-client). */
  webhookClient: CertFiles;
  /** The service-account token signing pair (RSA 2048). */
  serviceAccount: { publicKeyPath: string; privateKeyPath: string };
  /** Issues a serving cert; each SAN is an IP address or a DNS name. */
  issueServerCert(name: string, sans: readonly string[]): Promise<CertFiles>;
  /** Issues a client cert with CN=`cn` and, when given, O=`org` (a Kubernetes group). */
  issueClientCert(cn: string, org?: string): Promise<CertFiles>;
}

const VALIDITY_DAYS = "2";
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Creates `dir` and generates the CA, the fixed certs and the service-account keys in it. */
export async function createPki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const ca: CertFiles = { certPath: join(dir, "ca.crt"), keyPath: join(dir, "ca.key") };
  await openssl([
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    ca.keyPath,
    "-out",
    ca.certPath,
    "-days",
    VALIDITY_DAYS,
    "-subj",
    "/CN=e2e-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);

  const issue = async (name: string, subject: string, extensions: string[]): Promise<CertFiles> => {
    const files: CertFiles = { certPath: join(dir, `${name}.crt`), keyPath: join(dir, `${name}.key`) };
    const csrPath = join(dir, `${name}.csr`);
    const extPath = join(dir, `${name}.ext`);
    await writeFile(extPath, `${extensions.join("\n")}\n`);
    await openssl(["req", "-new", ...EC_KEY, "-keyout", files.keyPath, "-out", csrPath, "-subj", subject]);
    await openssl([
      "x509",
      "-req",
      "-in",
      csrPath,
      "-CA",
      ca.certPath,
      "-CAkey",
      ca.keyPath,
      "-set_serial",
      `0x${randomBytes(16).toString("hex")}`,
      "-days",
      VALIDITY_DAYS,
      "-extfile",
      extPath,
      "-out",
      files.certPath,
    ]);
    return files;
  };

  const issueServerCert = (name: string, sans: readonly string[]): Promise<CertFiles> => {
    const altNames = sans.map((san) => (isIP(san) === 0 ? `DNS:${san}` : `IP:${san}`)).join(",");
    return issue(fileSafe(name), `/CN=${name}`, [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${altNames}`,
    ]);
  };
  const issueClientCert = (cn: string, org?: string): Promise<CertFiles> =>
    issue(fileSafe(`client-${cn}`), org === undefined ? `/CN=${cn}` : `/CN=${cn}/O=${org}`, [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=clientAuth",
    ]);

  const serviceAccount = { publicKeyPath: join(dir, "sa.pub"), privateKeyPath: join(dir, "sa.key") };
  await openssl(["genrsa", "-out", serviceAccount.privateKeyPath, "2048"]);
  await openssl([
    "rsa",
    "-in",
    serviceAccount.privateKeyPath,
    "-pubout",
    "-out",
    serviceAccount.publicKeyPath,
  ]);

  return {
    dir,
    ca,
    apiServer: await issueServerCert("kube-apiserver", ["127.0.0.1", "localhost"]),
    admin: await issueClientCert("admin", "system:masters"),
    webhookClient: await issueClientCert("kube-apiserver-webhook-client"),
    serviceAccount,
    issueServerCert,
    issueClientCert,
  };
}

async function openssl(args: string[]): Promise<void> {
  const result = await runCommand("openssl", args);
  if (result.code !== 0) {
    throw new Error(`openssl ${args.slice(0, 2).join(" ")} failed (exit ${result.code}): ${result.stderr}`);
  }
}

function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_");
}

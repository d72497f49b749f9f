import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SpireError } from "../../../lib/spire/errors.js";
import { certDirAccess, type ProbeFileSystem } from "../../../lib/webhook-svid/cert-dir.js";
import { webhookSvidIdentity } from "../../../lib/webhook-svid/identity.js";
import { mintWebhookCertificate } from "../../../lib/webhook-svid/mint.js";
import {
  provideWebhookCertificate,
  type WebhookCertificateSource,
} from "../../../lib/webhook-svid/webhook-certificate.js";
import {
  createManualClock,
  HOUR_MS,
  type ManualClock,
  recordingLogger,
  type SpireWithCa,
  START,
  startSpireWithCa,
  TD,
} from "./support.js";

const silent = pino({ level: "silent" });
const identityResult = webhookSvidIdentity({
  trustDomain: TD,
  cluster: "c1",
  serviceName: "k8s-workload-registrar",
  namespace: "spire",
});
if (!identityResult.ok) throw new Error(identityResult.error);
const identity = identityResult.value;
const WEBHOOK_ID = `spiffe://${TD}/k8s-workload-registrar/c1/webhook`;

function readChain(dir: string): X509Certificate[] {
  const pem = readFileSync(join(dir, "tls.crt"), "utf8");
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
}

describe("webhookSvidIdentity", () => {
  it("names the webhook's SPIFFE ID and its Service DNS name", () => {
    expect(identity).toEqual({ spiffeId: WEBHOOK_ID, dnsNames: ["k8s-workload-registrar.spire.svc"] });
  });

  it("refuses a cluster name that cannot be a path segment", () => {
    const result = webhookSvidIdentity({ trustDomain: TD, cluster: "a/b", serviceName: "s", namespace: "n" });
    expect(result).toEqual({
      ok: false,
      error:
        'cannot build the webhook SPIFFE ID from cluster "a/b": path segment characters are limited to letters, numbers, dots, dashes, and underscores',
    });
  });
});

describe("mintWebhookCertificate: the Go registrar's failure messages", () => {
  it("wraps a failed MintX509SVID call", async () => {
    const spire = {
      mintX509Svid: async () => ({
        ok: false as const,
        error: new SpireError("test error", "unavailable", Code.Unavailable, "MintX509SVID"),
      }),
    };
    expect(await mintWebhookCertificate(spire, identity)).toEqual({
      ok: false,
      error: "unable to make Mint SVID Request: test error",
    });
  });

  it("refuses an empty certificate chain", async () => {
    const spire = {
      mintX509Svid: async () => ({
        ok: true as const,
        value: { spiffeId: WEBHOOK_ID, certChain: [], expiresAt: 0n },
      }),
    };
    expect(await mintWebhookCertificate(spire, identity)).toEqual({
      ok: false,
      error: "no certificates in Mint SVID Response",
    });
  });
});

describe("provideWebhookCertificate against the fake SPIRE server", () => {
  let tmp: string;
  let certDir: string;
  let clock: ManualClock;
  let spire: SpireWithCa;
  let source: WebhookCertificateSource | undefined;

  beforeEach(async () => {
    tmp = mkdtempSync(join(tmpdir(), "webhook-svid-"));
    certDir = join(tmp, "serving-certs");
    clock = createManualClock();
    spire = await startSpireWithCa(clock);
    source = undefined;
  });
  afterEach(async () => {
    if (source?.kind === "minted") source.stop();
    await spire.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const provide = (logger = silent) =>
    provideWebhookCertificate({ certDir, identity, spire: spire.spire, logger, clock }).then((s) => {
      source = s;
      return s;
    });

  it("creates the directory and writes the chain and a P-256 PKCS#8 key with the right modes", async () => {
    expect((await provide()).kind).toBe("minted");

    expect(statSync(certDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(certDir, "tls.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(certDir, "tls.crt")).mode & 0o777).toBe(0o644);
    expect(readdirSync(certDir).sort()).toEqual(["tls.crt", "tls.key"]);

    const keyPem = readFileSync(join(certDir, "tls.key"), "utf8");
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(keyPem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");

    const [leaf, intermediate, ...rest] = readChain(certDir);
    expect(rest).toHaveLength(0);
    expect(leaf?.subjectAltName).toBe(`URI:${WEBHOOK_ID}, DNS:k8s-workload-registrar.spire.svc`);
    expect(leaf?.checkPrivateKey(key)).toBe(true);
    expect(intermediate && leaf?.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate?.verify(new X509Certificate(spire.ca.rootCertPem).publicKey)).toBe(true);
  });

  it("retries a transient MintX509SVID failure", async () => {
    spire.server.injectFault({ method: "MintX509SVID", code: Code.Unavailable, times: 2 });
    expect((await provide()).kind).toBe("minted");
    expect(spire.server.rpcCounts.MintX509SVID).toBe(3);
    expect(readChain(certDir)).toHaveLength(2);
  });

  it("cannot start when SPIRE refuses to mint, and writes nothing", async () => {
    spire.server.injectFault({ method: "MintX509SVID", code: Code.PermissionDenied });
    await expect(provide()).rejects.toThrow(
      `minting the webhook serving certificate ${WEBHOOK_ID}: unable to make Mint SVID Request: SPIRE MintX509SVID`,
    );
    expect(spire.server.rpcCounts.MintX509SVID).toBe(1);
    expect(existsSync(join(certDir, "tls.crt"))).toBe(false);
  });

  it("renews at half-life and keeps retrying a failed renewal with backoff instead of exiting", async () => {
    const { logger, records } = recordingLogger();
    await provide(logger);
    // The fake CA issues for its default hour from the clock's now: renewal is due at half an hour.
    expect(clock.pending()).toEqual([START + HOUR_MS / 2]);
    const firstLeaf = readChain(certDir)[0]?.serialNumber;

    spire.server.injectFault({ method: "MintX509SVID", code: Code.Unavailable, times: 1_000 });
    expect(await clock.runNext()).toBe(START + HOUR_MS / 2);
    expect(clock.pending()).toEqual([START + HOUR_MS / 2 + 1_000]);
    await clock.runNext();
    expect(clock.pending()).toEqual([START + HOUR_MS / 2 + 1_000 + 2_000]);
    const warnings = records.filter((r) => r.level === 40).map((r) => r.msg);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain("renewing the webhook serving certificate failed (attempt 2)");
    expect(warnings[1]).toContain("the current one stays valid until 2030-01-01T01:00:00.000Z");
    expect(readChain(certDir)[0]?.serialNumber).toBe(firstLeaf);

    spire.server.clearFaults();
    const renewedAt = await clock.runNext();
    const renewed = readChain(certDir)[0];
    expect(renewed?.serialNumber).not.toBe(firstLeaf);
    expect(new Date(renewed?.validFrom ?? "").getTime()).toBe(renewedAt);
    expect(clock.pending()).toEqual([renewedAt + HOUR_MS / 2]);
  });

  it("logs an error once the served certificate has expired, and still retries", async () => {
    const { logger, records } = recordingLogger();
    await provideWebhookCertificate({
      certDir,
      identity,
      spire: spire.spire,
      logger,
      clock,
      backoff: { initialDelayMs: HOUR_MS, maxDelayMs: HOUR_MS },
    }).then((s) => {
      source = s;
    });
    spire.server.injectFault({ method: "MintX509SVID", code: Code.Unavailable, times: 1_000 });
    await clock.runNext(); // half-life: fails, next try an hour later, after expiry
    await clock.runNext();
    const errors = records.filter((r) => r.level === 50).map((r) => r.msg);
    expect(errors).toEqual([
      expect.stringContaining("webhook serving certificate EXPIRED at 2030-01-01T01:00:00.000Z"),
    ]);
    expect(clock.pending()).toHaveLength(1);
  });

  it("serves the mounted files of a read-only directory without calling SPIRE", async () => {
    const { logger, records } = recordingLogger();
    const result = await provideWebhookCertificate({
      certDir,
      identity,
      spire: spire.spire,
      logger,
      clock,
      checkDirAccess: async () => "read-only",
    });
    expect(result).toEqual({ kind: "mounted" });
    expect(spire.server.rpcCounts.MintX509SVID).toBeUndefined();
    expect(clock.pending()).toEqual([]);
    expect(records.filter((r) => r.level === 40).map((r) => r.msg)).toEqual([
      expect.stringContaining(
        `webhook_cert_dir ${certDir} is read-only: serving the mounted tls.crt and tls.key`,
      ),
    ]);
  });
});

describe("certDirAccess", () => {
  const failing = (code: string): ProbeFileSystem => ({
    mkdir: async () => undefined,
    writeFile: async () => {
      throw Object.assign(new Error(`${code}: cannot write`), { code });
    },
    rm: async () => undefined,
  });

  it.each(["EROFS", "EACCES", "EPERM"])("treats %s on the write probe as read-only", async (code) => {
    expect(await certDirAccess("/certs", failing(code))).toBe("read-only");
  });

  it("reports other errors", async () => {
    await expect(certDirAccess("/certs", failing("EIO"))).rejects.toThrow(
      "checking webhook certificate directory permissions: EIO: cannot write",
    );
  });

  it("finds a real directory writable and leaves no probe file behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cert-dir-"));
    try {
      expect(await certDirAccess(dir)).toBe("writable");
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

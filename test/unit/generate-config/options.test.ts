import { describe, expect, it } from "vitest";
import { KEY_ALGORITHM_NAMES, parseKeyAlgorithm } from "../../../lib/generate-config/key-algorithm.js";
import { resolveOptions, splitNamespaceList } from "../../../lib/generate-config/options.js";
import { parseTtl, validityWindow } from "../../../lib/generate-config/validity.js";

const SUPPORTED = "supported: rsa-2048, rsa-4096, ec-p256, ec-p384, ec-p521";
const LABEL_RULE =
  'must be a DNS-1123 label (at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit)';

describe("parseKeyAlgorithm", () => {
  it.each(["rsa-2048", "RSA-4096", "ec-p256", "Ec-P384", "EC-P521"])("accepts %s", (name) => {
    const parsed = parseKeyAlgorithm(name);
    expect(parsed.ok && parsed.value.name).toBe(name.toLowerCase());
  });

  it("lists exactly the supported algorithms", () => {
    expect(KEY_ALGORITHM_NAMES).toEqual(["rsa-2048", "rsa-4096", "ec-p256", "ec-p384", "ec-p521"]);
  });

  it("refuses ec-p224 saying why", () => {
    expect(parseKeyAlgorithm("EC-P224")).toEqual({
      ok: false,
      error: `unsupported key algorithm "EC-P224": WebCrypto has no P-224 curve; ${SUPPORTED}`,
    });
  });

  it.each(["rsa-1024", "ed25519", "", "toString"])("refuses %j", (name) => {
    expect(parseKeyAlgorithm(name)).toEqual({
      ok: false,
      error: `unsupported key algorithm ${JSON.stringify(name)} (${SUPPORTED})`,
    });
  });
});

describe("parseTtl", () => {
  it.each([
    ["8760h", 8760 * 3_600_000],
    ["1h30m", 5_400_000],
    ["+90s", 90_000],
    ["0", 0],
    ["0s", 0],
    ["0h0m", 0],
  ])("parses %s", (text, ms) => {
    expect(parseTtl(text)).toEqual({ ok: true, value: ms });
  });

  it.each(["", "10", "1d", "h", "1h-"])("refuses %j", (text) => {
    expect(parseTtl(text)).toEqual({
      ok: false,
      error: `invalid -ttl ${JSON.stringify(text)}: want a Go duration such as 8760h or 720h30m, or 0 for no expiry`,
    });
  });

  it("refuses negative durations", () => {
    expect(parseTtl("-1h")).toEqual({ ok: false, error: 'invalid -ttl "-1h": must not be negative' });
  });

  it("refuses a ttl that ends after 9999-12-31T23:59:59Z", () => {
    const ttl = parseTtl("100000000h");
    expect(ttl.ok && validityWindow(new Date("2030-01-01T00:00:00Z"), ttl.value)).toEqual({
      ok: false,
      error: "invalid -ttl: certificates would expire after 9999-12-31T23:59:59.000Z; use 0 for no expiry",
    });
  });
});

describe("splitNamespaceList", () => {
  it("splits on commas, trims and drops empty items", () => {
    expect(splitNamespaceList(" a, b,,c ,")).toEqual(["a", "b", "c"]);
    expect(splitNamespaceList("")).toEqual([]);
  });
});

describe("resolveOptions", () => {
  it("fills in the defaults", () => {
    const resolved = resolveOptions({});
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    expect({
      ...resolved.value,
      caKey: resolved.value.caKey.name,
      serverKey: resolved.value.serverKey.name,
      clientKey: resolved.value.clientKey.name,
    }).toEqual({
      namespace: "spire",
      service: "k8s-workload-registrar",
      caKey: "ec-p256",
      serverKey: "ec-p256",
      clientKey: "ec-p256",
      ttlMs: 8760 * 3_600_000,
      failurePolicy: "Ignore",
      timeoutSeconds: 5,
      disabledNamespaces: ["kube-system", "kube-public"],
      admissionKubeconfigPath: "/etc/kubernetes/pki/k8s-workload-registrar/kubeconfig.yaml",
    });
  });

  it("takes every value given and removes duplicate namespaces", () => {
    const resolved = resolveOptions({
      namespace: "ns1",
      service: "svc",
      caKeyAlg: "rsa-2048",
      serverKeyAlg: "EC-P384",
      clientKeyAlg: "ec-p521",
      ttl: "0",
      failurePolicy: "Fail",
      timeoutSeconds: "30",
      disabledNamespaces: { names: ["a", "b", "a"], source: "--disabled-namespaces" },
      admissionKubeconfigPath: "/etc/k.yaml",
    });
    expect(resolved.ok && resolved.value).toMatchObject({
      namespace: "ns1",
      service: "svc",
      caKey: { name: "rsa-2048" },
      serverKey: { name: "ec-p384" },
      clientKey: { name: "ec-p521" },
      ttlMs: 0,
      failurePolicy: "Fail",
      timeoutSeconds: 30,
      disabledNamespaces: ["a", "b"],
      admissionKubeconfigPath: "/etc/k.yaml",
    });
  });

  it("reports every bad value, each naming its flag", () => {
    const resolved = resolveOptions({
      namespace: "Spire",
      service: "-svc",
      caKeyAlg: "ec-p224",
      serverKeyAlg: "rsa-1024",
      clientKeyAlg: "dsa",
      ttl: "1y",
      failurePolicy: "ignore",
      timeoutSeconds: "31",
      disabledNamespaces: { names: ["ok", "Not_OK"], source: "/etc/r.conf disabled_namespaces" },
      admissionKubeconfigPath: "kubeconfig.yaml",
    });
    expect(resolved).toEqual({
      ok: false,
      error: [
        `invalid -namespace "Spire": ${LABEL_RULE}`,
        `invalid -service "-svc": ${LABEL_RULE}`,
        `-ca-key-alg: unsupported key algorithm "ec-p224": WebCrypto has no P-224 curve; ${SUPPORTED}`,
        `-server-key-alg: unsupported key algorithm "rsa-1024" (${SUPPORTED})`,
        `-client-key-alg: unsupported key algorithm "dsa" (${SUPPORTED})`,
        'invalid -ttl "1y": want a Go duration such as 8760h or 720h30m, or 0 for no expiry',
        'invalid --failure-policy "ignore": want Ignore or Fail',
        'invalid --timeout-seconds "31": want a whole number from 1 to 30',
        `invalid /etc/r.conf disabled_namespaces entry "Not_OK": ${LABEL_RULE}`,
        'invalid --admission-kubeconfig-path "kubeconfig.yaml": must be an absolute path',
      ],
    });
  });

  it.each(["0", "-1", "1.5", "abc", ""])("refuses --timeout-seconds %j", (text) => {
    expect(resolveOptions({ timeoutSeconds: text })).toEqual({
      ok: false,
      error: [`invalid --timeout-seconds ${JSON.stringify(text)}: want a whole number from 1 to 30`],
    });
  });

  it("accepts the timeout bounds and a 63-character service name but not 64", () => {
    expect(resolveOptions({ timeoutSeconds: "1" }).ok).toBe(true);
    expect(resolveOptions({ service: "a".repeat(63) }).ok).toBe(true);
    expect(resolveOptions({ service: "a".repeat(64) }).ok).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { credentialError, httpError, KubeApiError, transportError } from "../../../lib/k8s/errors.js";

const getPod = { verb: "get", resource: "pods", namespace: "ns", name: "web" };
const listPods = { verb: "list", resource: "pods" };
const status = (message: string) => JSON.stringify({ kind: "Status", message });

describe("Kubernetes API errors", () => {
  it("words HTTP answers by kind, naming the call and the RBAC rule to add", () => {
    const cases: Array<[number, string, string, boolean]> = [
      [
        403,
        "forbidden",
        'forbidden: cannot list pods (all namespaces): the registrar\'s service account needs RBAC permission "list" on "pods" (pods is forbidden)',
        false,
      ],
      [
        401,
        "unauthorized",
        "unauthorized: cannot list pods (all namespaces): the API server rejected the credentials",
        false,
      ],
      [409, "conflict", "conflict: cannot list pods (all namespaces): pods is forbidden", true],
      [422, "invalid", "invalid: cannot list pods (all namespaces): pods is forbidden", false],
      [
        503,
        "unavailable",
        "API server unavailable: cannot list pods (all namespaces): HTTP 503: pods is forbidden",
        true,
      ],
      [
        429,
        "unavailable",
        "API server unavailable: cannot list pods (all namespaces): HTTP 429: pods is forbidden",
        true,
      ],
      [418, "other", "cannot list pods (all namespaces): HTTP 418: pods is forbidden", false],
    ];
    for (const [code, kind, message, retryable] of cases) {
      const error = httpError(listPods, code, status("pods is forbidden"));
      expect(error).toBeInstanceOf(KubeApiError);
      expect(error).toMatchObject({ kind, status: code, retryable, message });
    }
  });

  it("quotes a body that is not a Status, and names one object in a namespace", () => {
    expect(httpError(getPod, 502, "<html>bad gateway</html>").message).toBe(
      'API server unavailable: cannot get pods "web" in namespace "ns": HTTP 502: <html>bad gateway</html>',
    );
    expect(httpError({ verb: "get", resource: "nodes", name: "n1" }, 500, "").message).toBe(
      'API server unavailable: cannot get nodes "n1": HTTP 500',
    );
  });

  it("calls a refused connection unavailable and a TLS failure a TLS problem", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
    expect(transportError(getPod, refused)).toMatchObject({
      kind: "unavailable",
      retryable: true,
      status: undefined,
      message:
        'API server unavailable: cannot get pods "web" in namespace "ns": connect ECONNREFUSED 127.0.0.1:6443',
    });
    const untrusted = Object.assign(new Error("unable to verify the first certificate"), {
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    expect(transportError(getPod, untrusted)).toMatchObject({
      kind: "tls",
      retryable: false,
      message:
        'TLS verification of the API server failed: cannot get pods "web" in namespace "ns": UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate; check certificate-authority',
    });
    const alert = Object.assign(new Error("tlsv13 alert certificate required"), {
      code: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
    });
    expect(transportError(listPods, alert).message).toBe(
      "TLS handshake with the API server failed: cannot list pods (all namespaces): ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: tlsv13 alert certificate required; check client-certificate and client-key",
    );
  });

  it("names a credential source that failed", () => {
    expect(
      credentialError(listPods, new Error('exec plugin "aws" failed: exited with code 1')),
    ).toMatchObject({
      kind: "unauthorized",
      message:
        'unauthorized: cannot list pods (all namespaces): no credentials: exec plugin "aws" failed: exited with code 1',
    });
  });
});

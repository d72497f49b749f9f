import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPki, type Pki } from "./harness/pki.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";

// Needs only the openssl CLI, so it runs without the peers: a broken PKI would otherwise
// surface only as an opaque TLS failure of kube-apiserver.
describe("the e2e PKI (openssl)", () => {
  let run: RunDir | undefined;
  let pki: Pki | undefined;
  const load = async (path: string): Promise<X509Certificate> => new X509Certificate(await readFile(path));
  const ready = (): Pki => {
    if (pki === undefined) throw new Error("PKI was not created (see beforeAll)");
    return pki;
  };

  beforeAll(async () => {
    run = await makeRunDir("pki", () => {});
    pki = await createPki(join(run.path, "pki"));
  });
  afterAll(async () => {
    await run?.remove();
  });

  it("signs the kube-apiserver serving cert for 127.0.0.1 and localhost", async () => {
    const ca = await load(ready().ca.certPath);
    const serving = await load(ready().apiServer.certPath);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(serving.checkHost("localhost")).toBe("localhost");
    expect(serving.keyUsage).toContain("1.3.6.1.5.5.7.3.1"); // serverAuth
    expect(ca.ca).toBe(true);
    expect(serving.ca).toBe(false);
  });

  it("puts the admin client cert in system:masters and the webhook client cert in no group", async () => {
    const admin = await load(ready().admin.certPath);
    expect(admin.subject).toBe("CN=admin\nO=system:masters");
    expect(admin.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // clientAuth only
    const webhookClient = await load(ready().webhookClient.certPath);
    expect(webhookClient.subject).toBe("CN=kube-apiserver-webhook-client");
  });

  it("issues further server and client certs signed by the same CA", async () => {
    const ca = await load(ready().ca.certPath);
    const server = await load(
      (await ready().issueServerCert("registrar webhook", ["127.0.0.1", "webhook.test"])).certPath,
    );
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe("IP Address:127.0.0.1, DNS:webhook.test");
    const client = await load((await ready().issueClientCert("registrar", "e2e:group")).certPath);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(client.subject).toBe("CN=registrar\nO=e2e:group");
  });

  it("writes a service-account key pair whose halves match", async () => {
    const privateKey = createPrivateKey(await readFile(ready().serviceAccount.privateKeyPath));
    const publicKey = createPublicKey(await readFile(ready().serviceAccount.publicKeyPath));
    expect(createPublicKey(privateKey).export({ format: "jwk" })).toEqual(
      publicKey.export({ format: "jwk" }),
    );
    expect(publicKey.asymmetricKeyType).toBe("rsa");
  });
});

/**
 * The OpenFaaS stack and the Dockerfile (no docker engine here, so the image itself is not built):
 * the properties the runtimes rely on, read from the files.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { listenPort } from "../../../lib/http/listen-port.js";
import { loadManifests, REPO } from "./manifest-files.js";

interface StackFunction {
  image: string;
  readonly_root_filesystem?: boolean;
  environment: Record<string, string>;
  annotations?: Record<string, string>;
  secrets?: string[];
}

const stack = parse(readFileSync(join(REPO, "openfaas/stack.yml"), "utf8")) as {
  provider: { name: string };
  functions: Record<string, StackFunction>;
};
const knativeImage = (() => {
  const images = new Set(
    loadManifests()
      .filter((m) => m.kind === "Deployment" || m.apiVersion === "serving.knative.dev/v1")
      .flatMap(
        (m) =>
          (m.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers,
      )
      .map((c) => c.image),
  );
  expect(images.size).toBe(1);
  return [...images][0] as string;
})();

describe("openfaas/stack.yml", () => {
  it("deploys the event and resync functions only (the webhooks are called over TLS directly)", () => {
    expect(stack.provider.name).toBe("openfaas");
    expect(Object.keys(stack.functions).sort()).toEqual([
      "registrar-k8s-events",
      "registrar-resync",
      "registrar-spiffeid-events",
    ]);
  });

  for (const [name, fn] of Object.entries(stack.functions)) {
    describe(name, () => {
      it("uses the Knative image's openfaas build of the same version", () => {
        expect(fn.image).toBe(`${knativeImage}-openfaas`);
      });

      it("runs of-watchdog in HTTP mode, and the function listens on the upstream port, not the watchdog's", () => {
        expect(fn.environment.mode).toBe("http");
        const port = listenPort(fn.environment);
        expect(port).toBe(3000);
        expect(port).not.toBe(8080);
      });

      it("starts a function that exists", () => {
        const match = /^node dist\/bundle\/functions\/([a-z0-9-]+)\/index\.js$/.exec(
          fn.environment.fprocess ?? "",
        );
        expect(match).not.toBeNull();
        expect(existsSync(join(REPO, "functions", match?.[1] ?? "", "index.ts"))).toBe(true);
        expect(name).toBe(`registrar-${match?.[1]}`);
      });

      it("reads its configuration from the registrar-config secret, on a read-only root filesystem", () => {
        expect(fn.secrets).toContain("registrar-config");
        expect(fn.environment.REGISTRAR_CONFIG).toBe("/var/openfaas/secrets/registrar-config");
        expect(fn.readonly_root_filesystem).toBe(true);
      });

      it("runs as the function's own ServiceAccount (the same names and RBAC as on Knative)", () => {
        expect(fn.annotations?.["com.openfaas.serviceaccount"]).toBe(name);
      });
    });
  }
});

/** The Dockerfile as stages: `FROM <image> AS <name>` and the instructions under it. */
function dockerStages(text: string): { name: string; from: string; lines: string[] }[] {
  const stages: { name: string; from: string; lines: string[] }[] = [];
  const logical = text.replace(/\\\n/g, " ").split("\n");
  for (const line of logical.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1] as string, name: from[2] ?? "", lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe("Dockerfile", () => {
  const stages = dockerStages(readFileSync(join(REPO, "Dockerfile"), "utf8"));
  const stage = (name: string) => {
    const found = stages.find((s) => s.name === name);
    if (!found) throw new Error(`no stage ${name}`);
    return found;
  };

  it("builds and bundles with the full install, and ships the bundles alone (no node_modules)", () => {
    expect(stage("build").lines).toContain("RUN npm run bundle");
    expect(stage("build").lines.some((l) => /^RUN npm ci\b/.test(l) && !l.includes("--omit=dev"))).toBe(true);
    expect(stage("app").lines.some((l) => /npm (ci|install)/.test(l))).toBe(false);
    expect(stage("app").lines).toContain("COPY --from=build /src/dist/bundle ./dist/bundle");
  });

  it("runs on Node 24 LTS", () => {
    expect(readFileSync(join(REPO, "Dockerfile"), "utf8")).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
  });

  it("package.json requires Node 22 or newer (20 reached its end of life), and the lock file agrees", () => {
    const engines = (file: string) => {
      const parsed = JSON.parse(readFileSync(join(REPO, file), "utf8"));
      return (parsed.engines ?? parsed.packages?.[""]?.engines) as { node: string };
    };
    expect(engines("package.json")).toEqual({ node: ">=22" });
    expect(engines("package-lock.json")).toEqual({ node: ">=22" });
  });

  it("the default target is the node runtime running a function given as its argument", () => {
    const last = stages.at(-1);
    expect(last?.name).toBe("runtime");
    expect(last?.lines).toContain('ENTRYPOINT ["node"]');
    const cmd = last?.lines.find((l) => l.startsWith("CMD "));
    const [script] = JSON.parse(cmd?.slice(4) ?? "[]") as string[];
    expect(script).toMatch(/^dist\/bundle\/functions\/[a-z0-9-]+\/index\.js$/);
  });

  it("runs as a numeric non-root user (so the kubelet can enforce runAsNonRoot)", () => {
    const user = stage("app").lines.find((l) => l.startsWith("USER "));
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(user).toBe("USER 1000:1000");
  });

  it("has an openfaas target: the same app with of-watchdog in front, forwarding to port 3000", () => {
    expect(stage("openfaas").from).toBe("app");
    expect(stage("openfaas").lines).toContain('ENTRYPOINT ["/usr/bin/fwatchdog"]');
    const env = stage("openfaas").lines.find((l) => l.startsWith("ENV "));
    expect(env).toContain("mode=http");
    expect(env).toContain("upstream_url=http://127.0.0.1:3000");
  });

  it(".dockerignore keeps local builds and dependencies out of the context", () => {
    const ignored = readFileSync(join(REPO, ".dockerignore"), "utf8").split("\n");
    for (const path of ["node_modules", "dist", ".git"]) expect(ignored).toContain(path);
  });
});

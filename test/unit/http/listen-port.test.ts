import { describe, expect, it } from "vitest";
import { listenPort } from "../../../lib/http/listen-port.js";

describe("listenPort", () => {
  it.each([
    [{}, 8080],
    [{ PORT: "9000" }, 9000],
    [{ http_port: "3000", PORT: "8080" }, 3000],
    [{ upstream_url: "http://127.0.0.1:3001", PORT: "8080" }, 3001],
    [{ http_upstream_url: "http://127.0.0.1:3002" }, 3002],
    [{ upstream_url: "http://localhost" }, 80],
  ])("%j -> %i", (env, port) => {
    expect(listenPort(env)).toBe(port);
  });

  it("rejects a port that is not a number", () => {
    expect(() => listenPort({ PORT: "http" })).toThrow('invalid listen port "http" (from http_port or PORT)');
  });
});

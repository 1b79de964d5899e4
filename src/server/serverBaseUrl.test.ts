import { describe, expect, it } from "vitest";
import { serverBaseUrl } from "./serverBaseUrl.ts";

const NO_TLS = { certPath: null, keyPath: null, behindProxy: false };

describe("serverBaseUrl", () => {
  it("is the configured base URL when there is one, else the server's own address over http or https", () => {
    const http = { host: "127.0.0.1", port: 0, publicBaseUrl: null };
    expect(serverBaseUrl({ http, tls: NO_TLS }, 8080)).toBe("http://127.0.0.1:8080");
    expect(serverBaseUrl({ http: { ...http, host: "::1" }, tls: NO_TLS }, 8080)).toBe("http://[::1]:8080");
    const tls = { certPath: "/etc/fl/cert.pem", keyPath: "/etc/fl/key.pem", behindProxy: false };
    expect(serverBaseUrl({ http, tls }, 8443)).toBe("https://127.0.0.1:8443");
    expect(serverBaseUrl({ http: { ...http, publicBaseUrl: "https://fhir.example/r4" }, tls }, 8443)).toBe(
      "https://fhir.example/r4",
    );
  });
});

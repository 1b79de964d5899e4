import { describe, expect, it } from "vitest";
import { ClientRegistry } from "./ClientRegistry.ts";
import { openOAuthDatabase } from "./oauthDatabase.ts";

describe("ClientRegistry", () => {
  it("checks a secret only for its client, and answers unknown ids and junk without throwing", () => {
    const registry = new ClientRegistry(openOAuthDatabase(":memory:"));
    const { clientSecret } = registry.register({
      clientId: "a",
      name: "A",
      authMethod: "client_secret_basic",
      redirectUris: ["https://a.example/cb"],
      scopes: ["patient/*.rs"],
    });
    registry.register({
      clientId: "b",
      name: "B",
      authMethod: "none",
      redirectUris: ["http://127.0.0.1:9/cb"],
      scopes: ["patient/*.rs"],
    });
    expect(registry.checkSecret("a", clientSecret!)).toBe(true);
    expect(registry.checkSecret("b", clientSecret!)).toBe(false);
    expect(registry.checkSecret("nobody", clientSecret!)).toBe(false);
    expect(registry.checkSecret("a", "x".repeat(10_000))).toBe(false);
    for (const junk of [undefined, 42, "", "a b", "x".repeat(65)]) expect(registry.get(junk)).toBeUndefined();
  });

  it("refuses a taken client_id and a public client for client_credentials", () => {
    const registry = new ClientRegistry(openOAuthDatabase(":memory:"));
    const app = {
      clientId: "a",
      name: "A",
      authMethod: "none" as const,
      redirectUris: ["https://a.example/cb"],
      scopes: ["patient/*.rs"],
    };
    registry.register(app);
    expect(() => registry.register(app)).toThrow(/taken/);
    expect(() => registry.register({ ...app, clientId: "c", grantTypes: ["client_credentials"] })).toThrow(
      /public client/,
    );
  });
});

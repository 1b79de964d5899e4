import { describe, expect, it } from "vitest";
import { devTokenAuthenticator } from "./devTokenAuthenticator.ts";

const TOKEN = "fl_development-token-0123456789";

describe("devTokenAuthenticator", () => {
  it("stands for a system client with system/*.*, and refuses any other token", async () => {
    const authenticate = devTokenAuthenticator(TOKEN);
    await expect(authenticate(`Bearer ${TOKEN}`)).resolves.toMatchObject({ role: "system", scopes: ["system/*.*"] });
    await expect(authenticate(`Bearer ${TOKEN}x`)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(authenticate(undefined)).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("is refused from its expiry on, with a message saying how to get a new one", async () => {
    let now = 1_000;
    const authenticate = devTokenAuthenticator(TOKEN, { expiresAt: 2_000, now: () => now });
    await expect(authenticate(`Bearer ${TOKEN}`)).resolves.toMatchObject({ role: "system" });
    now = 2_000;
    await expect(authenticate(`Bearer ${TOKEN}`)).rejects.toThrow(/expired: restarting the server issues a new one/);
  });
});

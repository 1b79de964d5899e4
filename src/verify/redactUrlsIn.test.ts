import { describe, expect, it } from "vitest";
import { redactUrlsIn } from "./redactUrlsIn.ts";

describe("redactUrlsIn", () => {
  it("cuts every URL in a message to scheme, host and port, whatever surrounds it", () => {
    const text =
      'request to https://rpc.example/v3/KEY1 failed (url="wss://u:KEY2@node.example:8546/ws?key=KEY3"), ' +
      "see http://127.0.0.1:8545.";
    const redacted = redactUrlsIn(text);
    expect(redacted).toBe(
      'request to https://rpc.example/… failed (url="wss://node.example:8546/…"), see http://127.0.0.1:8545.',
    );
    for (const key of ["KEY1", "KEY2", "KEY3"]) expect(redacted).not.toContain(key);
  });

  it("keeps a long message to the given length", () => {
    expect(redactUrlsIn("x".repeat(50), 10)).toBe(`${"x".repeat(10)}…`);
  });
});

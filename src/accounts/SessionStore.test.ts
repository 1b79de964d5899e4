import { describe, expect, it } from "vitest";
import { openAccounts } from "./openAccounts.ts";
import { FAST_SCRYPT } from "./testSupport/fastScrypt.ts";

async function setup() {
  let now = 1_000_000;
  const clock = { advance: (ms: number) => (now += ms) };
  const accounts = openAccounts(":memory:", {
    scrypt: FAST_SCRYPT,
    now: () => now,
    sessions: { idleMs: 10_000, absoluteMs: 100_000 },
  });
  const user = await accounts.users.createUser({
    username: "auditor1",
    password: "violet tractor under moonlight",
    role: "auditor",
  });
  return { ...accounts, user, clock };
}

describe("SessionStore", () => {
  it("makes 256-bit random ids that find their user", async () => {
    const { sessions, user } = await setup();
    const id = sessions.create(user.id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.create(user.id)).not.toBe(id);
    expect(sessions.find(id)).toEqual({ userId: user.id });
    expect(sessions.find(`${id.slice(0, -1)}${id.endsWith("A") ? "B" : "A"}`)).toBeUndefined();
    expect(sessions.find("short")).toBeUndefined();
  });

  it("ends a session left idle, and any session past its absolute limit even when used", async () => {
    const { sessions, user, clock } = await setup();
    const idle = sessions.create(user.id);
    clock.advance(10_000);
    expect(sessions.find(idle)).toBeUndefined();

    const busy = sessions.create(user.id);
    for (let i = 0; i < 15; i++) {
      clock.advance(6_000);
      expect(sessions.find(busy)).toBeDefined(); // each use resets the idle clock
    }
    clock.advance(20_000);
    expect(sessions.find(busy)).toBeUndefined();
  });

  it("sign-out deletes the session; disabling the account deletes all its sessions", async () => {
    const { sessions, users, user } = await setup();
    const a = sessions.create(user.id);
    const b = sessions.create(user.id);
    sessions.delete(a);
    expect(sessions.find(a)).toBeUndefined();
    expect(sessions.find(b)).toBeDefined();
    users.setDisabled(user.id, true);
    expect(sessions.find(b)).toBeUndefined();
  });

  it("keeps live sessions only: expired ones go when the next one starts", async () => {
    const { sessions, user, clock } = await setup();
    sessions.create(user.id);
    sessions.create(user.id);
    expect(sessions.deleteExpired()).toBe(0);
    clock.advance(10_000);
    sessions.create(user.id);
    expect(sessions.deleteExpired()).toBe(0);
    clock.advance(10_000);
    expect(sessions.deleteExpired()).toBe(1);
  });
});

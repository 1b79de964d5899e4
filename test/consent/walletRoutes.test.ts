import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consentFor } from "../../src/consent/wallet/testSupport/memoryConsentRecords.ts";
import { type WalletPageServer, startWalletPageServer } from "../../src/consent/wallet/testSupport/walletPageServer.ts";
import {
  type WalletWorld,
  signTypedRequest,
  startWalletWorld,
} from "../../src/consent/wallet/testSupport/walletWorld.ts";

const MARY = { userId: "u-mary", patient: "Patient/mary" };

describe("/wallet over HTTP (page session, CSRF, JSON caps)", () => {
  let w: WalletWorld;
  let s: WalletPageServer;
  let patientCookie: string;
  let doctorCookie: string;
  let csrf: string;

  beforeAll(async () => {
    w = await startWalletWorld();
    s = await startWalletPageServer(w.service);
    patientCookie = `fhirledger-session=${s.sessionFor(s.patientId)}`;
    doctorCookie = `fhirledger-session=${s.sessionFor(s.practitionerId)}`;
    const page = await fetch(`${s.base}/wallet`, { headers: { cookie: patientCookie } });
    csrf = /data-csrf="([^"]+)"/.exec(await page.text())![1]!;
  });
  afterAll(async () => {
    await s?.close();
    await w?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${s.base}${path}`, {
      method: "POST",
      headers: { cookie: patientCookie, "content-type": "application/json", "x-csrf-token": csrf, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("sends a visitor to sign in, refuses other roles, and shows a patient the page with its script allowed", async () => {
    const visitor = await fetch(`${s.base}/wallet`, { redirect: "manual" });
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toBe("/login?next=%2Fwallet");
    expect((await fetch(`${s.base}/wallet`, { headers: { cookie: doctorCookie } })).status).toBe(403);
    const page = await fetch(`${s.base}/wallet`, { headers: { cookie: patientCookie } });
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get("cache-control")).toBe("no-store");
    const text = await page.text();
    expect(text).toContain("Link a wallet");
    expect(text).toContain('<script src="/wallet/wallet.js"></script>');
    const script = await fetch(`${s.base}/wallet/wallet.js`);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain("eth_signTypedData_v4");
  });

  it("answers JSON calls only for a signed-in patient with the session's CSRF token", async () => {
    const body = { address: Wallet.createRandom().address };
    expect((await post("/wallet/link/challenge", body, { cookie: "" })).status).toBe(401);
    expect((await post("/wallet/link/challenge", body, { cookie: doctorCookie })).status).toBe(403);
    const noToken = await post("/wallet/link/challenge", body, { "x-csrf-token": "" });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toEqual({ error: expect.stringMatching(/wallet page/) });
    expect((await post("/wallet/link/challenge", body, { "x-csrf-token": `${csrf}x` })).status).toBe(403);
    expect((await post("/wallet/link/challenge", body)).status).toBe(200);
  });

  it("refuses bad bodies with 4xx: not JSON, too large, not an object, bad values", async () => {
    expect((await post("/wallet/link/challenge", "address=1", { "content-type": "text/plain" })).status).toBe(415);
    expect((await post("/wallet/link/challenge", { address: "x".repeat(5000) })).status).toBe(413);
    expect((await post("/wallet/link/challenge", "{nope")).status).toBe(400);
    expect((await post("/wallet/link/challenge", "[1]")).status).toBe(400);
    expect((await post("/wallet/link/challenge", '"s"')).status).toBe(400);
    const bad = await post("/wallet/link/challenge", { address: "0x1234" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "not an Ethereum address" });
    expect((await post("/wallet/link", { nonce: "00", signature: "0x" })).status).toBe(400);
    expect((await post("/wallet/grant/prepare", { consentId: "c1" })).status).toBe(400); // no wallet yet
    expect((await post("/wallet/grant", { id: {}, signature: [] })).status).toBe(400);
    expect((await post("/wallet/unlink", {})).status).toBe(404);
    expect((await post("/wallet/nowhere", {})).status).toBe(404);
  });

  it("links, grants and revokes through the JSON calls", async () => {
    const wallet = Wallet.createRandom();
    const challenge = await (await post("/wallet/link/challenge", { address: wallet.address })).json();
    expect(challenge.message).toContain(`URI: ${s.base}`);
    const linked = await post("/wallet/link", {
      nonce: challenge.nonce,
      signature: await wallet.signMessage(challenge.message),
    });
    expect(await linked.json()).toEqual({ wallet: wallet.address.toLowerCase() });
    const { id } = w.records.put(consentFor("Patient/mary", "Practitioner/doc"));
    const grant = await (await post("/wallet/grant/prepare", { consentId: id })).json();
    expect(grant.typedData.primaryType).toBe("Grant");
    const granted = await post("/wallet/grant", {
      id: grant.id,
      signature: await signTypedRequest(wallet, grant.typedData),
    });
    expect(await granted.json()).toEqual({ consent: id });
    const state = await (await fetch(`${s.base}/wallet/state`, { headers: { cookie: patientCookie } })).json();
    expect(state.consents.find((c: { id: string }) => c.id === id)).toMatchObject({ honoured: true, status: "active" });
    const revoke = await (await post("/wallet/revoke/prepare", { consentId: id })).json();
    const revoked = await post("/wallet/revoke", {
      id: revoke.id,
      signature: await signTypedRequest(wallet, revoke.typedData),
    });
    expect(revoked.status).toBe(200);
    expect((await w.records.get(MARY, id))?.resource.status).toBe("inactive");
    expect((await post("/wallet/unlink", {})).status).toBe(200);
  });
});

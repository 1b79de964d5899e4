/**
 * The /wallet page's script, served as /wallet/wallet.js (the page's CSP allows scripts from
 * this origin only). It talks to any EIP-1193 wallet through `window.ethereum`:
 * eth_requestAccounts, personal_sign (linking) and eth_signTypedData_v4 (grant, revoke); the
 * server prepares every message, so the script holds no logic a signature depends on.
 * Messages it shows are set as text, never as HTML.
 */
export const WALLET_SCRIPT = `"use strict";
(function () {
  var root = document.getElementById("wallet");
  if (!root) return;
  var csrf = root.getAttribute("data-csrf");
  var linked = root.getAttribute("data-wallet") || "";
  var status = document.getElementById("wallet-status");
  function say(text) { status.textContent = text; }
  function provider() {
    if (!window.ethereum || typeof window.ethereum.request !== "function")
      throw new Error("No Ethereum wallet was found in this browser: install one (MetaMask or another) and reload.");
    return window.ethereum;
  }
  async function post(path, body) {
    var response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body || {}),
    });
    var data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) throw new Error(data.error || ("The server answered " + response.status));
    return data;
  }
  async function firstAccount() {
    var accounts = await provider().request({ method: "eth_requestAccounts" });
    if (!accounts || !accounts[0]) throw new Error("The wallet shared no account.");
    return String(accounts[0]);
  }
  function utf8Hex(text) {
    var bytes = new TextEncoder().encode(text), out = "0x";
    for (var i = 0; i < bytes.length; i++) out += bytes[i].toString(16).padStart(2, "0");
    return out;
  }
  async function link() {
    var address = await firstAccount();
    var challenge = await post("/wallet/link/challenge", { address: address });
    say("Sign the message in your wallet to prove you hold " + challenge.address + ".");
    var signature = await provider().request({ method: "personal_sign", params: [utf8Hex(challenge.message), address] });
    await post("/wallet/link", { nonce: challenge.nonce, signature: signature });
  }
  async function signTyped(typedData) {
    var accounts = await provider().request({ method: "eth_requestAccounts" });
    var held = (accounts || []).map(function (a) { return String(a).toLowerCase(); });
    if (held.indexOf(linked) < 0) throw new Error("Switch your wallet to the linked account " + linked + ".");
    var wanted = "0x" + BigInt(typedData.domain.chainId).toString(16);
    var current = String(await provider().request({ method: "eth_chainId" })).toLowerCase();
    if (current !== wanted) {
      try {
        await provider().request({ method: "wallet_switchEthereumChain", params: [{ chainId: wanted }] });
      } catch (e) {
        throw new Error("Switch your wallet to the network with chain id " + BigInt(wanted) + ", then try again.");
      }
    }
    say("Sign the request in your wallet.");
    return provider().request({ method: "eth_signTypedData_v4", params: [linked, JSON.stringify(typedData)] });
  }
  async function grant(consentId) {
    var prepared = await post("/wallet/grant/prepare", { consentId: consentId });
    var signature = await signTyped(prepared.typedData);
    say("Recording your consent on the ledger…");
    await post("/wallet/grant", { id: prepared.id, signature: signature });
  }
  async function revoke(consentId) {
    var prepared = await post("/wallet/revoke/prepare", { consentId: consentId });
    var signature = await signTyped(prepared.typedData);
    say("Recording the revocation on the ledger…");
    await post("/wallet/revoke", { id: prepared.id, signature: signature });
  }
  var actions = {
    link: function () { return link(); },
    unlink: function () { return post("/wallet/unlink", {}); },
    grant: function (b) { return grant(b.getAttribute("data-consent")); },
    revoke: function (b) { return revoke(b.getAttribute("data-consent")); },
  };
  var done = { link: "Your wallet is linked.", unlink: "Your wallet is unlinked.", grant: "Consent granted with your wallet.", revoke: "Consent revoked with your wallet." };
  var notice = sessionStorage.getItem("wallet-notice");
  if (notice) { sessionStorage.removeItem("wallet-notice"); say(notice); }
  root.addEventListener("click", async function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    event.preventDefault();
    var action = button.getAttribute("data-action");
    button.disabled = true;
    say("Working…");
    try {
      await actions[action](button);
      sessionStorage.setItem("wallet-notice", done[action]);
      location.reload();
    } catch (error) {
      say((error && error.message) ? String(error.message).slice(0, 300) : "That did not work.");
      button.disabled = false;
    }
  });
  Array.prototype.forEach.call(root.querySelectorAll("button[data-action]"), function (b) { b.disabled = false; });
})();
`;

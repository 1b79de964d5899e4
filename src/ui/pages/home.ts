import type { Hono } from "hono";
import { html } from "hono/html";
import type { UiDeps, UiEnv } from "../UiContext.ts";

/** GET /: what this server is, how to sign in or register, and the SMART endpoints apps start from. */
export function registerHome(app: Hono<UiEnv>, deps: UiDeps): void {
  app.get("/", (c) => {
    const user = c.get("user");
    const base = deps.baseUrl();
    const start = user
      ? html`<p>You are signed in as <strong>${user.username}</strong> (${user.role}).</p>
<ul>
<li><a href="/apps">Connected apps</a>: the apps that can read your records, and how to disconnect them.</li>
${user.role === "admin" ? html`<li><a href="/admin">Administration</a>: accounts and apps.</li>` : ""}
${user.role === "admin" || user.role === "practitioner" ? html`<li><a href="/activation-codes">Activation codes</a> for patients who already have a record here.</li>` : ""}
</ul>`
      : html`<ul>
<li><a href="/login">Sign in</a></li>
<li><a href="/register">Register as a patient</a></li>
<li><a href="/activate">Activate your account</a> with a code from your practitioner</li>
</ul>`;
    return deps.page(
      c,
      "fhirledger",
      html`<p>A FHIR R4 server: health records are encrypted, stored in IPFS and anchored on a blockchain, so any change is evident. Apps reach them with SMART on FHIR.</p>
${start}
<h2>For app developers</h2>
<dl>
<dt>FHIR base URL</dt><dd><code>${base}</code></dd>
<dt>SMART configuration</dt><dd><a href="${base}/.well-known/smart-configuration"><code>${base}/.well-known/smart-configuration</code></a></dd>
<dt>OpenID configuration</dt><dd><a href="${base}/.well-known/openid-configuration"><code>${base}/.well-known/openid-configuration</code></a></dd>
<dt>CapabilityStatement</dt><dd><a href="${base}/metadata"><code>${base}/metadata</code></a></dd>
</dl>`,
    );
  });
}

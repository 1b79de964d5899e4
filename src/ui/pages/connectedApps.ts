import type { Hono } from "hono";
import { html } from "hono/html";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { csrfField } from "../forms.ts";
import type { GrantSummary } from "../ports.ts";
import { scopeInWords } from "../scopeInWords.ts";
import { requireRole } from "../requireRole.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";

function grantsTable(c: UiContext, grants: GrantSummary[]) {
  if (grants.length === 0) return html`<p>No app holds access you approved.</p>`;
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">Apps with access</caption>
<thead><tr><th scope="col">App</th><th scope="col">Access</th><th scope="col">Approved</th><th scope="col">Action</th></tr></thead>
<tbody>${grants.map(
    (g) => html`<tr><td>${g.clientName}${g.patient ? html`<br><span class="hint">for ${g.patient}</span>` : ""}</td>
<td><ul>${g.scopes.map((s) => html`<li>${scopeInWords(s)} <span class="hint"><code>${s}</code></span></li>`)}</ul></td>
<td>${new Date(g.grantedAt).toISOString().slice(0, 10)}</td>
<td><form class="inline" method="post" action="/apps/${encodeURIComponent(g.grantId)}/revoke">${csrfField(c.get("csrf"))}<button class="secondary" type="submit">Disconnect<span class="visually-hidden"> ${g.clientName}</span></button></form></td></tr>`,
  )}</tbody></table></div>`;
}

/** GET /apps: the apps holding tokens the signed-in user approved; POST /apps/:id/revoke disconnects one. */
export function registerConnectedApps(app: Hono<UiEnv>, deps: UiDeps): void {
  app.use("/apps", requireRole(deps, ["admin", "practitioner", "patient", "auditor"]));
  app.use("/apps/*", requireRole(deps, ["admin", "practitioner", "patient", "auditor"]));

  app.get("/apps", async (c) => {
    const grants = await deps.grants.list(c.get("user")!.userId);
    const notice =
      c.req.query("notice") === "revoked"
        ? html`<div class="notice" role="status">The app is disconnected: its tokens no longer work.</div>`
        : "";
    return deps.page(
      c,
      "Connected apps",
      html`${notice}<p>These apps can reach your data with the access you approved. Disconnecting one revokes its tokens at once.</p>${grantsTable(c, grants)}`,
    );
  });

  app.post("/apps/:grantId/revoke", async (c) => {
    try {
      await deps.grants.revoke(c.get("user")!.userId, c.req.param("grantId"));
    } catch (error) {
      if (error instanceof FhirLedgerError && error.code === "not-found")
        return deps.page(
          c,
          "Connected apps",
          html`<p>That app is not connected to your account. <a href="/apps">Back to connected apps</a></p>`,
          404,
        );
      throw error;
    }
    await deps.event(c, { type: "grant-revoked", actor: c.get("user")!, entity: c.req.param("grantId") });
    return c.redirect("/apps?notice=revoked", 303);
  });
}

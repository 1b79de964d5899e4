import type { Hono } from "hono";
import { html } from "hono/html";
import { MAX_ACCESS_LOG_PAGE } from "../consentLimits.ts";
import type { AccessLogEntry, ConsentPortal } from "../ports.ts";
import { requireRole } from "../requireRole.ts";
import type { UiDeps, UiEnv } from "../UiContext.ts";
import { when } from "./consentRows.ts";

function row(e: AccessLogEntry) {
  return html`<tr${e.breakGlass ? html` class="urgent"` : ""}><td>${when(e.recorded)}</td><td>${e.who.join(", ")}</td><td>${e.what}${e.breakGlass ? html`<p class="flag"><strong>Emergency access (break-glass)</strong></p>` : ""}</td>
<td>${e.outcome === "success" ? "Allowed" : "Refused or failed"}</td><td>${e.purposes.join(", ")}</td></tr>`;
}

/** GET /access-log?page=N: who accessed the patient's records (their AuditEvents), newest first, 20 a page. */
export function registerAccessLog(app: Hono<UiEnv>, deps: UiDeps, portal: ConsentPortal): void {
  app.use("/access-log", requireRole(deps, ["patient"]));

  app.get("/access-log", async (c) => {
    const text = c.req.query("page") ?? "1";
    const page = /^[1-9][0-9]{0,3}$/.test(text) ? Number(text) : 0;
    if (page < 1 || page > MAX_ACCESS_LOG_PAGE)
      return deps.page(
        c,
        "Access log",
        html`<p>There is no such page of the log. <a href="/access-log">The newest entries</a></p>`,
        400,
      );
    const { entries, hasMore } = await portal.accessLog(c.get("user")!, page);
    const links = [
      page > 1 ? html`<a href="/access-log?page=${page - 1}" rel="prev">Newer entries</a>` : "",
      hasMore ? html`<a href="/access-log?page=${page + 1}" rel="next">Older entries</a>` : "",
    ].filter((l) => l !== "");
    return deps.page(
      c,
      "Access log",
      html`<p>Every access to your records is recorded: by whom, when, what, whether it was allowed, and why (the purpose of use). Emergency (break-glass) access is marked.</p>
${
  entries.length === 0
    ? html`<p>${page === 1 ? "No access to your records has been recorded yet." : "No older entries."}</p>`
    : html`<div class="table-wrap"><table>
<caption class="visually-hidden">Accesses to your records, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Outcome</th><th scope="col">Purpose</th></tr></thead>
<tbody>${entries.map(row)}</tbody></table></div>`
}
${links.length > 0 ? html`<nav aria-label="Log pages"><ul>${links.map((l) => html`<li>${l}</li>`)}</ul></nav>` : ""}`,
    );
  });
}

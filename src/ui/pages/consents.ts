import type { Hono } from "hono";
import { html } from "hono/html";
import { csrfField } from "../forms.ts";
import type { ConsentDecision, ConsentPortal, ConsentSummary } from "../ports.ts";
import { requireRole } from "../requireRole.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";
import { STATUS_WORDS, breakGlassFlag, periodWords, whatWords, whoWords } from "./consentRows.ts";

const NOTICES: Record<string, string> = {
  approve: "Approved: they can see the records it covers from now on.",
  reject: "Rejected: nothing was shared.",
  revoke: "Revoked: from their next request on, they can no longer see these records.",
};
const DECISIONS: Record<ConsentDecision, string> = { approve: "Approve", reject: "Reject", revoke: "Revoke" };

function decisionButton(c: UiContext, s: ConsentSummary, decision: ConsentDecision, secondary: boolean) {
  const who = s.actors.map((a) => a.name).join(", ");
  return html`<form class="inline" method="post" action="/consents/${encodeURIComponent(s.id)}/${decision}">${csrfField(c.get("csrf"))}<button${secondary ? html` class="secondary"` : ""} type="submit">${DECISIONS[decision]}<span class="visually-hidden"> ${who}</span></button></form>`;
}

function consentTable(c: UiContext, caption: string, rows: ConsentSummary[]) {
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">${caption}</caption>
<thead><tr><th scope="col">Who</th><th scope="col">Which records</th><th scope="col">When</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
<tbody>${rows.map(
    (
      s,
    ) => html`<tr${s.breakGlass ? html` class="urgent"` : ""}><td>${breakGlassFlag(s)}${whoWords(s)}</td><td>${whatWords(s)}</td><td>${periodWords(s)}</td><td>${s.status === "proposed" ? "Waiting for your answer" : (STATUS_WORDS[s.status] ?? s.status)}</td>
<td>${
      s.status === "proposed"
        ? html`${decisionButton(c, s, "approve", false)} ${decisionButton(c, s, "reject", true)}`
        : s.status === "active"
          ? decisionButton(c, s, "revoke", true)
          : ""
    }</td></tr>`,
  )}</tbody></table></div>`;
}

/** GET /consents: the patient's Consents, requests first; POST /consents/:id/(approve|reject|revoke). */
export function registerConsents(app: Hono<UiEnv>, deps: UiDeps, portal: ConsentPortal): void {
  app.use("/consents", requireRole(deps, ["patient"]));
  app.use("/consents/*", requireRole(deps, ["patient"]));

  app.get("/consents", async (c) => {
    const now = Date.now();
    // An active Consent whose period is over grants nothing any more (break-glass ends so): it is past.
    const all = (await portal.consentsOf(c.get("user")!)).map((s) =>
      s.status === "active" && s.end !== undefined && Date.parse(s.end) < now ? { ...s, status: "expired" } : s,
    );
    const waiting = all.filter((s) => s.status === "proposed");
    const active = all.filter((s) => s.status === "active");
    const past = all.filter((s) => s.status !== "proposed" && s.status !== "active");
    const notice = NOTICES[c.req.query("notice") ?? ""];
    const emergency = active.filter((s) => s.breakGlass);
    return deps.page(
      c,
      "Your consents",
      html`${notice ? html`<div class="notice" role="status">${notice}</div>` : ""}
${
  emergency.length > 0
    ? html`<div class="urgent" role="alert"><p><strong>Emergency access is open on your records.</strong> A practitioner used break-glass; it ends by itself, and every access under it is in your <a href="/access-log">access log</a>. You can revoke it below.</p></div>`
    : ""
}
<p>You decide who may see your records. Revoking takes effect on their very next request.</p>
<h2>Waiting for your answer</h2>
${waiting.length === 0 ? html`<p>No one is waiting for an answer.</p>` : consentTable(c, "Requests waiting for your answer", waiting)}
<h2>Active</h2>
${active.length === 0 ? html`<p>No one has access through a consent.</p>` : consentTable(c, "Active consents", active)}
<h2>Past</h2>
${past.length === 0 ? html`<p>None.</p>` : consentTable(c, "Past consents", past)}
<p><a href="/access-log">Who accessed your records</a></p>`,
    );
  });

  app.post("/consents/:id/:decision", async (c) => {
    const decision = c.req.param("decision");
    if (!Object.hasOwn(DECISIONS, decision))
      return deps.page(
        c,
        "Not found",
        html`<p>There is no such action. <a href="/consents">Your consents</a></p>`,
        404,
      );
    await portal.decide(c.get("user")!, c.req.param("id"), decision as ConsentDecision);
    return c.redirect(`/consents?notice=${decision}`, 303);
  });
}

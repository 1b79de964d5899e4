import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ConsentSummary } from "../ports.ts";

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Status words a person reads, not FHIR codes. */
export const STATUS_WORDS: Record<string, string> = {
  draft: "Draft",
  proposed: "Waiting for the patient's answer",
  active: "Active",
  rejected: "Rejected",
  inactive: "Revoked",
  expired: "Ended (its period is over)",
  "entered-in-error": "Entered in error",
};

/** A FHIR dateTime as a reader wants it: date and minutes, UTC. */
export function when(value: string | undefined): string {
  if (value === undefined || value === "") return "";
  const t = Date.parse(value);
  if (Number.isNaN(t)) return value;
  return value.length <= 10 ? value : `${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The period in words: "from … until …", "until …", or "no end date". */
export function periodWords(s: Pick<ConsentSummary, "start" | "end">): string {
  if (!s.start && !s.end) return "No time limit";
  if (s.start && s.end) return `From ${when(s.start)} until ${when(s.end)}`;
  return s.start ? `From ${when(s.start)}, no end date` : `Until ${when(s.end)}`;
}

/** What the Consent covers: the kinds of records, and whether it allows or refuses them. */
export function whatWords(s: ConsentSummary): Fragment {
  const kinds = s.classes.length === 0 ? "All your records" : s.classes.join(", ");
  return html`${s.decision === "deny" ? "Refuses: " : ""}${kinds}`;
}

/** The people or groups a Consent names, each with its reference in small print. */
export function whoWords(s: ConsentSummary): Fragment {
  if (s.actors.length === 0) return html`Anyone`;
  return html`<ul class="plain">${s.actors.map(
    (a) => html`<li>${a.name}${a.name === a.reference ? "" : html` <span class="hint">${a.reference}</span>`}</li>`,
  )}</ul>`;
}

/** The emergency-access flag shown beside a break-glass Consent. */
export function breakGlassFlag(s: ConsentSummary): Fragment | string {
  if (!s.breakGlass) return "";
  return html`<p class="flag"><strong>Emergency access (break-glass)</strong>${s.reason ? html`: ${s.reason}` : ""}</p>`;
}

import type { AccessLogEntry } from "../../ui/ports.ts";

type Json = Record<string, unknown>;

const asArray = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((v): v is Json => typeof v === "object" && v !== null) : [];
const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** AuditEvent.action (C R U D E) in words. */
const ACTIONS: Record<string, string> = { C: "create", R: "read", U: "update", D: "delete", E: "search or operation" };
/** v3-ActReason codes that mean emergency access. */
const EMERGENCY = new Set(["ETREAT", "BTG"]);
const MAX_AGENTS = 5;

/** An agent's name as recorded: the display, else the reference, else an identifier value, else its type. */
function agentName(agent: Json): string | undefined {
  const who = (agent.who ?? {}) as Json;
  return (
    asString(who.display) ??
    asString(who.reference) ??
    asString((who.identifier as Json | undefined)?.value) ??
    asString(agent.name)
  );
}

/** The codes of a list of CodeableConcepts (or Codings). */
function codesOf(values: unknown): string[] {
  const codes: string[] = [];
  for (const v of asArray(values)) {
    if (typeof v.code === "string") codes.push(v.code);
    for (const c of asArray(v.coding)) if (typeof c.code === "string") codes.push(c.code);
  }
  return codes;
}

/**
 * One AuditEvent as the access log shows it. Who: the requestor agents first (a user, the app),
 * never the server itself. What: the action and the entities it concerned other than the
 * patient's own record (the patient is the page's reader), or the query's type for a search.
 * Names are those the server wrote into the event: AuditEvent is written by the server only.
 */
export function summarizeAuditEvent(event: Json, patient: string): AccessLogEntry {
  const agents = asArray(event.agent);
  const ordered = [...agents.filter((a) => a.requestor === true), ...agents.filter((a) => a.requestor !== true)];
  const who: string[] = [];
  for (const agent of ordered) {
    const name = agentName(agent);
    const isServer =
      codesOf([agent.type]).some((c) => c === "110153" || c === "AUTHSERVER") && agent.requestor !== true;
    if (name && !isServer && !who.includes(name) && who.length < MAX_AGENTS) who.push(name);
  }
  const action = ACTIONS[asString(event.action) ?? ""] ?? "access";
  const targets: string[] = [];
  let query = false;
  for (const entity of asArray(event.entity)) {
    const ref = asString((entity.what as Json | undefined)?.reference);
    if (ref && ref !== patient && !targets.includes(ref) && targets.length < 3) targets.push(ref);
    if (entity.query !== undefined || codesOf([entity.role]).includes("24")) query = true;
  }
  const subtype = asArray(event.subtype)
    .map((s) => asString(s.display) ?? asString(s.code))
    .find((s) => s !== undefined);
  const what =
    targets.length > 0
      ? `${action} ${targets.join(", ")}`
      : query
        ? `search${subtype ? ` (${subtype})` : ""}`
        : `${action}${subtype ? ` (${subtype})` : ""} of your record`;
  const purposes = [...codesOf(event.purposeOfEvent), ...agents.flatMap((a) => codesOf(a.purposeOfUse))].filter(
    (c, i, all) => all.indexOf(c) === i,
  );
  const security = asArray(((event.meta ?? {}) as Json).security).map((c) => asString(c.code));
  // "0" is success; 4, 8 and 12 are failures of growing weight (a refusal among them).
  const outcome = event.outcome === undefined || event.outcome === "0" ? "success" : "failure";
  return {
    id: String(event.id),
    recorded: asString(event.recorded) ?? "",
    who: who.length > 0 ? who : ["unknown"],
    what,
    outcome,
    purposes: purposes.slice(0, 5),
    breakGlass: purposes.some((p) => EMERGENCY.has(p)) || security.some((c) => c !== undefined && EMERGENCY.has(c)),
  };
}

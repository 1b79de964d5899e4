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
/** FHIR restful-interaction subtypes (BALP) in words. */
const SUBTYPES: Record<string, string> = {
  read: "read",
  vread: "read a version of",
  create: "create",
  update: "update",
  patch: "update",
  delete: "delete",
  "search-type": "search",
  "search-system": "search",
  "search-compartment": "search",
  "history-instance": "history of",
  "history-type": "history",
  "history-system": "history",
  operation: "operation",
  batch: "batch",
  transaction: "transaction",
  "AuthZ-Consent": "consent check on",
};

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
 * One AuditEvent as the access log shows it. Who: the requestor agents (a user, the app), the
 * others only when none is a requestor; references stay references (the port names them). What: the action and the entities it concerned other than the
 * patient's own record (the patient is the page's reader), or the query's type for a search.
 * Names are those the server wrote into the event: AuditEvent is written by the server only.
 */
export function summarizeAuditEvent(event: Json, patient: string): AccessLogEntry {
  const agents = asArray(event.agent);
  // The requestors (the user, the app acting for it); the server and other observers only when none is named.
  const requestors = agents.filter((a) => a.requestor === true);
  const who: string[] = [];
  for (const agent of requestors.length > 0 ? requestors : agents) {
    const name = agentName(agent);
    if (name && !who.includes(name) && who.length < MAX_AGENTS) who.push(name);
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
    .map((s) => asString(s.code) ?? asString(s.display))
    .find((s) => s !== undefined);
  const verb = subtype ? (SUBTYPES[subtype] ?? subtype) : action;
  const what =
    targets.length > 0
      ? `${verb} ${targets.join(", ")}`
      : query || verb === "search" || verb === "operation"
        ? `${verb} in your records`
        : `${verb} your record`;
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

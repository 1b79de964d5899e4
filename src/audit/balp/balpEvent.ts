import type { Actor } from "../../auth/Actor.ts";
import type { Coding } from "./codes.ts";
import {
  ACT_REASON,
  AGENT_CLIENT,
  AGENT_SERVER,
  AGENT_USER,
  BREAK_GLASS_LABEL,
  ENTITY_ROLE_DOMAIN_RESOURCE,
  ENTITY_ROLE_PATIENT,
  ENTITY_ROLE_QUERY,
  ENTITY_TYPE_PERSON,
  ENTITY_TYPE_REQUEST_ID,
  ENTITY_TYPE_SYSTEM_OBJECT,
  SOURCE_APPLICATION_SERVER,
} from "./codes.ts";

/** An R4 AuditEvent as plain JSON. */
export type AuditEventJson = Record<string, unknown> & { resourceType: "AuditEvent" };

/** AuditEvent.outcome: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
export type AuditOutcome = "0" | "4" | "8" | "12";

/** AuditEvent.action: C create, R read, U update, D delete, E execute. */
export type AuditAction = "C" | "R" | "U" | "D" | "E";

/** Who asked and through which request: the agents and the request-id entity of every event. */
export interface AuditParty {
  /** The caller; absent when no credentials were accepted (a 401). */
  actor?: Actor;
  /** The X-Request-Id the response carries. */
  requestId?: string;
  /** The purpose of use (v3 ActReason), when the request states one (break-glass: ETREAT). */
  purposeOfUse?: string;
  /** When it happened (default: now). */
  recorded?: Date;
}

/** Everything a BALP AuditEvent is made of; the builders fill it in. */
export interface BalpEventSpec extends AuditParty {
  profiles: readonly string[];
  type: Coding;
  subtype: readonly Coding[];
  action: AuditAction;
  outcome: AuditOutcome;
  /** Free text without clinical content. */
  outcomeDesc?: string;
  /** "Patient/<id>" of each patient concerned: one patient entity each. */
  patients?: readonly string[];
  /** The resource acted on, "Type/id" (or "Type/id/_history/v"). */
  what?: string;
  /** The raw request of a query ("GET /Observation?code=..."), kept base64 as BALP Query asks. */
  query?: string;
  /** Further entities (a consent, a token request). */
  entities?: readonly Record<string, unknown>[];
  /** Marks an access under break-glass (meta.security BTG). */
  breakGlass?: boolean;
  /** Agents beyond user, client and server (an authorization server). */
  extraAgents?: readonly Record<string, unknown>[];
  sourceType?: Coding;
}

/** Upper bound on what an event quotes of a client-controlled value (a query string, an id). */
export const MAX_QUOTED = 4096;

const SERVER_NAME = "fhirledger";
/** The server as the observer of every event (AuditEvent?source=Device/fhirledger); no Device resource is stored. */
const SERVER_DEVICE = { reference: "Device/fhirledger", display: SERVER_NAME };

/**
 * One AuditEvent in the BALP pattern: the user agent (fhirUser, the token's jti in `policy`,
 * purpose of use), the client agent (client_id), the server agent, the source, the request id
 * as an entity, the resource, the patients and the query. Pure: same spec, same event.
 * @see https://profiles.ihe.net/ITI/BALP/content.html
 */
export function balpEvent(spec: BalpEventSpec): AuditEventJson {
  const recorded = (spec.recorded ?? new Date()).toISOString();
  const purpose = spec.purposeOfUse ?? spec.actor?.purposeOfUse;
  const purposeOfUse = purpose ? [{ coding: [{ system: ACT_REASON, code: clip(purpose, 64) }] }] : undefined;
  const security = spec.breakGlass ? [BREAK_GLASS_LABEL] : undefined;
  const entities: Record<string, unknown>[] = [];
  if (spec.requestId)
    entities.push({ what: { identifier: { value: clip(spec.requestId, 256) } }, type: ENTITY_TYPE_REQUEST_ID });
  if (spec.what)
    entities.push({
      what: { reference: clip(spec.what, 512) },
      type: ENTITY_TYPE_SYSTEM_OBJECT,
      role: ENTITY_ROLE_DOMAIN_RESOURCE,
    });
  for (const patient of new Set(spec.patients ?? []))
    entities.push({ what: { reference: patient }, type: ENTITY_TYPE_PERSON, role: ENTITY_ROLE_PATIENT });
  if (spec.query !== undefined)
    entities.push({
      type: ENTITY_TYPE_SYSTEM_OBJECT,
      role: ENTITY_ROLE_QUERY,
      query: Buffer.from(clip(spec.query, MAX_QUOTED)).toString("base64"),
    });
  entities.push(...(spec.entities ?? []));
  return {
    resourceType: "AuditEvent",
    ...(spec.profiles.length > 0 || security
      ? {
          meta: {
            ...(spec.profiles.length > 0 ? { profile: [...spec.profiles] } : {}),
            ...(security ? { security } : {}),
          },
        }
      : {}),
    type: spec.type,
    subtype: [...spec.subtype],
    action: spec.action,
    recorded,
    outcome: spec.outcome,
    ...(spec.outcomeDesc ? { outcomeDesc: clip(spec.outcomeDesc, 1024) } : {}),
    ...(purposeOfUse ? { purposeOfEvent: purposeOfUse } : {}),
    agent: [...agentsOf(spec.actor, purposeOfUse), ...(spec.extraAgents ?? []), serverAgent()],
    source: { observer: SERVER_DEVICE, type: [spec.sourceType ?? SOURCE_APPLICATION_SERVER] },
    ...(entities.length > 0 ? { entity: entities } : {}),
  };
}

/**
 * The requesting agents: the user (its fhirUser, else its account id) and the client
 * (client_id). The token's jti goes in `policy` of the requestor, never the token itself.
 */
function agentsOf(actor: Actor | undefined, purposeOfUse: unknown[] | undefined): Record<string, unknown>[] {
  if (actor === undefined || actor.role === "anonymous")
    return [
      {
        type: { coding: [AGENT_USER] },
        who: { display: "unauthenticated caller" },
        requestor: true,
        ...(purposeOfUse ? { purposeOfUse } : {}),
      },
    ];
  const policy = actor.tokenId ? { policy: [clip(actor.tokenId, 256)] } : {};
  const agents: Record<string, unknown>[] = [];
  const isUser = actor.role !== "system";
  if (isUser)
    agents.push({
      type: { coding: [AGENT_USER] },
      who: actor.fhirUser
        ? { reference: actor.fhirUser, identifier: { system: "urn:fhirledger:user", value: actor.id } }
        : { identifier: { system: "urn:fhirledger:user", value: actor.id } },
      role: [{ coding: [{ system: "urn:fhirledger:role", code: actor.role }] }],
      requestor: true,
      ...policy,
      ...(purposeOfUse ? { purposeOfUse } : {}),
    });
  const clientId = actor.clientId ?? (isUser ? undefined : actor.id);
  if (clientId !== undefined)
    agents.push({
      type: { coding: [AGENT_CLIENT] },
      who: { identifier: { system: "urn:fhirledger:client", value: clip(clientId, 256) } },
      requestor: !isUser,
      ...(isUser ? {} : policy),
      ...(!isUser && purposeOfUse ? { purposeOfUse } : {}),
    });
  return agents;
}

function serverAgent(): Record<string, unknown> {
  return { type: { coding: [AGENT_SERVER] }, who: SERVER_DEVICE, requestor: false };
}

/** The AuditEvent outcome of an HTTP status: denials are serious failures, other 4xx minor, 5xx major. */
export function outcomeOfStatus(status: number): AuditOutcome {
  if (status < 400) return "0";
  if (status === 401 || status === 403) return "8";
  if (status < 500) return "4";
  return "12";
}

function clip(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

import { AsyncLocalStorage } from "node:async_hooks";
import type { Actor } from "../auth/Actor.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { InteractionDescriptor, InteractionHook } from "../fhir/engine/InteractionHook.ts";
import type { FhirRequest, FhirResponse } from "../fhir/engine/FhirRequest.ts";
import { toOperationOutcome } from "../fhir/outcome/operationOutcome.ts";
import { compartmentOf } from "../fhir/resource/compartmentOf.ts";
import type { AuditTrail } from "./AuditTrail.ts";
import type { AuditEventJson, AuditOutcome, AuditParty } from "./balp/balpEvent.ts";
import { outcomeOfStatus } from "./balp/balpEvent.ts";
import { breakGlassEvent, consentChangeEvent, consentDecisionEvent } from "./balp/consentEvents.ts";
import { queryAuditEvents, restAuditEvent } from "./balp/restEvents.ts";
import type { RestKind } from "./balp/restEvents.ts";
import { operationEvent } from "./balp/systemEvents.ts";

/** What one request gathers while it runs: its bundle entries and the consent decisions taken. */
interface Scope {
  actor: Actor;
  requestId: string | undefined;
  entries: { descriptor: InteractionDescriptor; refused?: unknown }[];
  decisions: Map<string, AuditEventJson>;
  breakGlass: boolean;
}

/** The most entry events and decision events one request adds (a Bundle's entries are capped before, too). */
const MAX_ENTRY_EVENTS = 10_000;
const MAX_DECISION_EVENTS = 1_000;

const REST_KINDS: Partial<Record<string, RestKind>> = {
  read: "read",
  vread: "read",
  create: "create",
  update: "update",
  patch: "update",
  delete: "delete",
};

/** A consent decision as the consent layer reports it (consentAccess's `onDecision`). */
export interface ConsentDecision {
  patient: string;
  decision: "permit" | "deny";
  breakGlass: boolean;
  consents?: readonly string[];
}

/**
 * Audits every interaction through the engine's one door: `around` runs the request and, on
 * success or failure, appends its AuditEvents (the interaction's, one per bundle entry, the
 * consent decisions taken) and returns only once they are durable. The per-interaction hook
 * reports bundle entries (`entry`), the consent layer its decisions (`decision`), through the
 * request's async context.
 */
export class RequestAuditor {
  readonly #trail: AuditTrail;
  readonly #scopes = new AsyncLocalStorage<Scope>();

  constructor(trail: AuditTrail) {
    this.#trail = trail;
  }

  get enabled(): boolean {
    return this.#trail.enabled;
  }

  /**
   * Runs `handle` for one request and audits it. `descriptor` is the interaction the engine
   * matched (undefined when no route did). AuditEvent reads and searches first make every
   * event recorded so far searchable.
   */
  async around(
    actor: Actor,
    request: FhirRequest,
    descriptor: InteractionDescriptor | undefined,
    handle: () => Promise<FhirResponse>,
  ): Promise<FhirResponse> {
    if (!this.#trail.enabled) return handle();
    const scope: Scope = { actor, requestId: request.requestId, entries: [], decisions: new Map(), breakGlass: false };
    if (descriptor !== undefined && readsAudit(descriptor)) await this.#trail.flush();
    let response: FhirResponse;
    try {
      response = await this.#scopes.run(scope, handle);
    } catch (error) {
      await this.#trail.append(this.#events(scope, request, descriptor, statusOf(error), undefined, messageOf(error)));
      throw error;
    }
    await this.#trail.append(this.#events(scope, request, descriptor, response.status, response, undefined));
    return response;
  }

  /**
   * The per-interaction hook wrapped so each bundle entry it passes (or refuses) is audited
   * with the request; the request itself is audited by `around`.
   */
  hook(inner: InteractionHook): InteractionHook {
    if (!this.#trail.enabled) return inner;
    return (actor, d) => {
      if (!d.inBundle) return inner(actor, d);
      let pending: void | Promise<void>;
      try {
        pending = inner(actor, d);
      } catch (error) {
        this.entry(d, error);
        throw error;
      }
      if (pending === undefined) return this.entry(d);
      return pending.then(
        () => this.entry(d),
        (error: unknown) => {
          this.entry(d, error);
          throw error;
        },
      );
    };
  }

  /** A bundle entry passed (or was refused by) the hook and access check. */
  entry(descriptor: InteractionDescriptor, refused?: unknown): void {
    const scope = this.#scopes.getStore();
    if (scope === undefined || scope.entries.length >= MAX_ENTRY_EVENTS) return;
    scope.entries.push(refused === undefined ? { descriptor } : { descriptor, refused });
  }

  /**
   * A consent decision (AuthZ-Consent). Inside a request: one event per patient and decision
   * is added to the request's; outside one (a page's own lookup): appended at once.
   */
  decision(actor: Actor, d: ConsentDecision): Promise<unknown> | undefined {
    if (!this.#trail.enabled) return undefined;
    const scope = this.#scopes.getStore();
    if (d.breakGlass && scope !== undefined) scope.breakGlass = true;
    const key = `${d.patient}|${d.decision}|${d.breakGlass}`;
    if (scope !== undefined && (scope.decisions.has(key) || scope.decisions.size >= MAX_DECISION_EVENTS))
      return undefined;
    const event = consentDecisionEvent({
      actor,
      ...(scope?.requestId ? { requestId: scope.requestId } : {}),
      patient: d.patient,
      decision: d.decision,
      breakGlass: d.breakGlass,
      ...(d.consents ? { consents: d.consents } : {}),
    });
    if (scope === undefined) return this.#trail.append([event]);
    scope.decisions.set(key, event);
    return undefined;
  }

  /**
   * A request refused before it reached the engine (no valid credentials: a 401 at the HTTP
   * edge): audited with an unauthenticated agent, durable before the refusal is sent.
   */
  async rejected(request: { requestId: string; method: string; path: string }, error: unknown): Promise<void> {
    if (!this.#trail.enabled) return;
    await this.#trail.append([
      operationEvent({
        requestId: request.requestId,
        interaction: request.method.slice(0, 16).toLowerCase(),
        what: request.path.slice(0, 512),
        outcome: outcomeOfStatus(statusOf(error)),
        outcomeDesc: messageOf(error),
      }),
    ]);
  }

  #events(
    scope: Scope,
    request: FhirRequest,
    d: InteractionDescriptor | undefined,
    status: number,
    response: FhirResponse | undefined,
    failure: string | undefined,
  ): AuditEventJson[] {
    const actor = scope.actor;
    const party: AuditParty = {
      actor,
      ...(request.requestId ? { requestId: request.requestId } : {}),
      ...(scope.breakGlass ? { purposeOfUse: "ETREAT" } : {}),
    };
    const outcome = outcomeOfStatus(status);
    const common = { ...party, outcome, breakGlass: scope.breakGlass, ...(failure ? { outcomeDesc: failure } : {}) };
    const events: AuditEventJson[] = [];
    if (d === undefined) {
      events.push(operationEvent({ ...common, interaction: request.method.slice(0, 16).toLowerCase() }));
    } else if (d.operation === "erase") {
      // $erase audits itself (refusals included), with the counts of what it destroyed
    } else {
      events.push(...this.#interactionEvents(d, request, response, common, true));
      if (response !== undefined) events.push(...consentEventsOf(d, request, response, common));
    }
    for (const entry of scope.entries) {
      const entryOutcome: AuditOutcome =
        entry.refused === undefined ? outcome : outcomeOfStatus(statusOf(entry.refused));
      events.push(
        ...this.#interactionEvents(
          entry.descriptor,
          request,
          undefined,
          { ...common, outcome: entryOutcome, ...(entry.refused ? { outcomeDesc: messageOf(entry.refused) } : {}) },
          false,
        ),
      );
    }
    events.push(...scope.decisions.values());
    return events;
  }

  #interactionEvents(
    d: InteractionDescriptor,
    request: FhirRequest,
    response: FhirResponse | undefined,
    common: AuditParty & { outcome: AuditOutcome; outcomeDesc?: string; breakGlass: boolean },
    main: boolean,
  ): AuditEventJson[] {
    const patients = patientsOf(d, response);
    const kind = REST_KINDS[d.interaction];
    const target = targetOf(d, response);
    if (kind !== undefined)
      return [
        restAuditEvent({ ...common, kind, interaction: d.interaction, ...(target ? { what: target } : {}), patients }),
      ];
    if (d.interaction.startsWith("search") || d.interaction.startsWith("history") || d.operation === "everything") {
      const rawRequest = main ? rawRequestOf(request) : `GET ${target ?? d.type ?? ""}`;
      return queryAuditEvents({
        ...common,
        interaction: d.interaction,
        rawRequest,
        patients,
        ...(d.operation ? { extraSubtype: [{ system: "urn:fhirledger:audit-subtype", code: d.operation }] } : {}),
      });
    }
    return [
      operationEvent({
        ...common,
        interaction: d.interaction,
        ...(d.operation ? { operation: d.operation } : {}),
        ...(target ? { what: target } : {}),
        patients,
      }),
    ];
  }
}

/** What a Consent's new status means for its patient: an access request, a grant, a revocation... */
const CHANGES: Record<string, "requested" | "granted" | "rejected" | "revoked"> = {
  proposed: "requested",
  active: "granted",
  rejected: "rejected",
  inactive: "revoked",
};

/**
 * Beside the RESTful event: a consent change (a Consent written: requested, granted, rejected,
 * revoked) and a break-glass invocation (`$break-glass`), so a patient's access log names them.
 */
function consentEventsOf(
  d: InteractionDescriptor,
  request: FhirRequest,
  response: FhirResponse,
  common: AuditParty & { outcome: AuditOutcome },
): AuditEventJson[] {
  if (response.status >= 300) return [];
  const resource = response.resource as
    | {
        resourceType?: string;
        id?: string;
        status?: string;
        patient?: { reference?: string };
        provision?: { period?: { end?: string } };
      }
    | undefined;
  if (d.operation === "break-glass" && d.type === "Patient" && d.id !== undefined) {
    const reason = (
      request.body as { parameter?: { name: string; valueString?: string }[] } | undefined
    )?.parameter?.find((p) => p.name === "reason")?.valueString;
    const end = resource?.provision?.period?.end;
    return [
      breakGlassEvent({
        ...common,
        patient: `Patient/${d.id}`,
        ...(resource?.resourceType === "Consent" && resource.id ? { consent: `Consent/${resource.id}` } : {}),
        reason: reason ?? "",
        ...(end ? { until: new Date(end) } : {}),
      }),
    ];
  }
  const writes = d.interaction === "create" || d.interaction === "update" || d.interaction === "patch";
  if (!writes || d.type !== "Consent" || resource?.resourceType !== "Consent" || resource.id === undefined) return [];
  const patient = resource.patient?.reference;
  if (patient === undefined || !patient.startsWith("Patient/")) return [];
  return [
    consentChangeEvent({
      ...common,
      consent: `Consent/${resource.id}`,
      patient,
      change: CHANGES[resource.status ?? ""] ?? "changed",
    }),
  ];
}

/** Whether the interaction reads AuditEvents (so what is journalled must be searchable first). */
function readsAudit(d: InteractionDescriptor): boolean {
  return d.type === "AuditEvent" || d.interaction === "search-system" || d.interaction === "history-system";
}

/** The patients whose data the answer holds, or the interaction names. */
function patientsOf(d: InteractionDescriptor, response: FhirResponse | undefined): string[] {
  if (response?.compartments !== undefined) return [...response.compartments];
  if (d.type === "Patient" && d.id !== undefined) return [`Patient/${d.id}`];
  const resource = response?.resource;
  if (response !== undefined && resource !== undefined && (response.status === 200 || response.status === 201)) {
    const type = resource.resourceType;
    if (typeof type === "string" && type !== "Bundle" && type !== "OperationOutcome" && type !== "Parameters") {
      const compartment = compartmentOf(resource as never);
      if (compartment !== null) return [compartment];
    }
  }
  return [];
}

function targetOf(d: InteractionDescriptor, response: FhirResponse | undefined): string | undefined {
  const type = d.type ?? response?.version?.type;
  const id = d.id ?? response?.version?.id;
  if (type === undefined || id === undefined) return type;
  return d.vid === undefined ? `${type}/${id}` : `${type}/${id}/_history/${d.vid}`;
}

/** The request as BALP Query keeps it: method, path and query string (a _search form's too). */
function rawRequestOf(request: FhirRequest): string {
  const path = `/${request.path.join("/")}`;
  const query = request.rawQuery !== "" ? request.rawQuery : request.query.toString();
  return `${request.method} ${path}${query ? `?${query}` : ""}`;
}

function statusOf(error: unknown): number {
  return toOperationOutcome(error).status;
}

/** A failure's short message (the error's own, which by the error model holds no PHI), clipped. */
function messageOf(error: unknown): string {
  if (error instanceof FhirLedgerError && error.code !== "internal" && error.code !== "integrity")
    return `${error.code}: ${error.message}`.slice(0, 300);
  return "internal error";
}

import type { Actor } from "../../auth/Actor.ts";
import type { AuditTrail } from "../../audit/AuditTrail.ts";
import type { RequestAuditor } from "../../audit/RequestAuditor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Index } from "../../ports/Index.ts";
import type { Ledger } from "../../ports/Ledger.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import { FhirInteractions } from "../FhirInteractions.ts";
import type { FhirInteractionsOptions } from "../FhirInteractions.ts";
import type { FhirValidator } from "../validation/createValidator.ts";
import type { FhirRequest, FhirResponse } from "./FhirRequest.ts";
import type { AccessGuard } from "./AccessGuard.ts";
import type { InteractionDescriptor, InteractionHook } from "./InteractionHook.ts";
import { allowAll } from "./InteractionHook.ts";
import type { EngineContext } from "./InteractionRoute.ts";
import { allowedMethodsOf, matchRoute } from "./matchRoute.ts";
import { allowsOverRest, restRestrictionOf } from "./restRestrictions.ts";

export interface FhirEngineOptions {
  records: RecordRepository;
  validator: FhirValidator;
  index: Index;
  ledger: Ledger;
  audit: AuditTrail;
  /** This server's CapabilityStatement (see serverCapabilityStatement), asked on each `GET /metadata`. */
  capabilityStatement: () => Record<string, unknown>;
  /** Called with the actor before every interaction, bundle entries included (default: allow all). */
  hook?: InteractionHook;
  /**
   * Authorization on every path (src/policy/smartAccess.ts): its `check` runs after `hook` on
   * every interaction and bundle entry, its search policy goes into every query, and reads,
   * history, writes and operations check each resource. Absent: everything is allowed.
   */
  access?: AccessGuard;
  /**
   * Audit of every interaction (src/audit): each request's AuditEvents, bundle entries and
   * refusals included, are durable before `handle` returns or throws. Absent: only $erase and
   * integrity failures are audited (through `audit`).
   */
  auditor?: RequestAuditor;
  /** Search caps (see FhirInteractionsOptions) and the most entries one Bundle may carry. */
  limits?: FhirInteractionsOptions["limits"] & { maxBundleEntries?: number; maxBreakGlassMinutes?: number };
}

/**
 * The one door into the FHIR engine: every interaction (CRUD, conditional ones, history and
 * search at every level, batch/transaction, capabilities and operations) is a plain
 * FhirRequest answered with a FhirResponse, on behalf of an actor, through the interaction
 * table (interactions.ts) and past the per-interaction hook. Knows nothing of HTTP.
 */
export class FhirEngine {
  /** The interactions as methods, for in-process callers that already know which one they want. */
  readonly interactions: FhirInteractions;
  readonly #ctx: EngineContext;
  readonly #auditor: RequestAuditor | undefined;

  constructor(options: FhirEngineOptions) {
    const { records, validator, index, ledger, audit, limits, access } = options;
    this.interactions = new FhirInteractions({
      records,
      validator,
      index,
      audit,
      ...(access === undefined ? {} : { access }),
      ...(limits === undefined ? {} : { limits }),
    });
    this.#ctx = {
      fhir: this.interactions,
      records,
      index,
      validator,
      ledger,
      audit,
      hook: auditedEntries(withAccess(options.hook ?? allowAll, access, audit), options.auditor),
      capabilityStatement: options.capabilityStatement,
      ...(limits?.maxBundleEntries === undefined ? {} : { maxBundleEntries: limits.maxBundleEntries }),
      ...(limits?.maxBreakGlassMinutes === undefined ? {} : { maxBreakGlassMinutes: limits.maxBreakGlassMinutes }),
    };
    this.#auditor = options.auditor?.enabled ? options.auditor : undefined;
  }

  /**
   * Answers one request for `actor`; errors are thrown as FhirLedgerError (the edge maps them).
   * With an auditor, its AuditEvents are committed before the answer (or the error) is given.
   */
  handle(actor: Actor, request: FhirRequest): Promise<FhirResponse> {
    const match = matchRoute(request.method, request.path);
    const auditor = this.#auditor;
    if (auditor === undefined) return this.#handle(actor, request, match);
    let descriptor: InteractionDescriptor | undefined;
    try {
      descriptor = match === undefined ? undefined : describe(match, request);
    } catch {
      descriptor = undefined; // #handle throws the same error, audited as a request without a route
    }
    return auditor.around(actor, request, descriptor, () => this.#handle(actor, request, match));
  }

  async #handle(actor: Actor, request: FhirRequest, match: ReturnType<typeof matchRoute>): Promise<FhirResponse> {
    if (match === undefined) throw noRoute(request);
    const { route, params } = match;
    const descriptor = describe(match, request);
    if (!allowsOverRest(descriptor.type, descriptor.interaction, descriptor.operation))
      throw notAllowed(request, restRestrictionOf(descriptor.type)?.reason);
    const hooked = this.#ctx.hook(actor, descriptor);
    if (hooked !== undefined) await hooked;
    return route.handle(this.#ctx, actor, params, request);
  }
}

/** What the matched route is about, as the hook sees it. */
function describe(match: NonNullable<ReturnType<typeof matchRoute>>, request: FhirRequest): InteractionDescriptor {
  const { route, params } = match;
  const type = params.type ?? (route.types?.length === 1 ? route.types[0] : undefined);
  return {
    interaction: route.interactions[0]!,
    level: route.level,
    ...(type === undefined ? {} : { type }),
    ...(params.id === undefined ? {} : { id: params.id }),
    ...(params.vid === undefined ? {} : { vid: params.vid }),
    ...(route.operation === undefined ? {} : { operation: route.operation }),
    inBundle: false,
    ...route.describe?.(params, request),
  };
}

/** Bundle entries passing the hook are reported to the auditor (absent: the hook as it is). */
function auditedEntries(hook: InteractionHook, auditor: RequestAuditor | undefined): InteractionHook {
  return auditor === undefined ? hook : auditor.hook(hook);
}

/**
 * The hook, then the access check: a bundle entry passes both, as a request does. A refused
 * `$erase` is audited here, as the operation audits its own refusals (every other denial's
 * audit record comes with the consent and audit work).
 */
function withAccess(hook: InteractionHook, access: AccessGuard | undefined, audit: AuditTrail): InteractionHook {
  if (access === undefined) return hook;
  const check = async (actor: Actor, interaction: InteractionDescriptor) => {
    try {
      await access.check(actor, interaction);
    } catch (error) {
      if (interaction.operation === "erase" && error instanceof FhirLedgerError && error.code === "forbidden")
        await audit.record({
          action: "E",
          subtype: "erase",
          outcome: "4",
          actor,
          ...(interaction.type && interaction.id ? { entity: `${interaction.type}/${interaction.id}` } : {}),
          description: "erasure refused: the caller's scopes and role do not allow it",
        });
      throw error;
    }
  };
  return function hookThenAccess(actor, interaction) {
    const hooked = hook(actor, interaction);
    if (hooked === undefined) return check(actor, interaction);
    return hooked.then(() => check(actor, interaction));
  };
}

/** A path no route serves is a 404; a method the path does not answer, a 405 naming those it does. */
function noRoute(request: FhirRequest): FhirLedgerError {
  const path = `/${request.path.join("/")}`.slice(0, 200);
  const allowed = allowedMethodsOf(request.path);
  if (allowed === undefined)
    return new FhirLedgerError("not-found", `no route for ${request.method.slice(0, 16)} ${path}`);
  return notAllowed(request, undefined);
}

/** A 405 naming the methods the path answers, and why when the resource type restricts them. */
function notAllowed(request: FhirRequest, reason: string | undefined): FhirLedgerError {
  const path = `/${request.path.join("/")}`.slice(0, 200);
  const allowed = allowedMethodsOf(request.path)?.methods ?? [];
  const allowing = allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : "";
  return new FhirLedgerError(
    "method-not-allowed",
    `${request.method.slice(0, 16)} is not supported on ${path}${allowing}${reason ? `; ${reason}` : ""}`,
  );
}

import type { Actor } from "../../auth/Actor.ts";
import type { AuditTrail } from "../../audit/AuditTrail.ts";
import type { Index } from "../../ports/Index.ts";
import type { Ledger } from "../../ports/Ledger.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirInteractions } from "../FhirInteractions.ts";
import type { FhirValidator } from "../validation/createValidator.ts";
import type { FhirRequest, FhirResponse } from "./FhirRequest.ts";
import type { InteractionCode, InteractionDescriptor, InteractionHook, InteractionLevel } from "./InteractionHook.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The `:type`, `:id` and `:vid` segments of a matched path. */
export interface RouteParams {
  type?: string;
  id?: string;
  vid?: string;
}

/** Everything an interaction may use, built once with the engine (no optional services). */
export interface EngineContext {
  fhir: FhirInteractions;
  records: RecordRepository;
  index: Index;
  validator: FhirValidator;
  ledger: Ledger;
  audit: AuditTrail;
  hook: InteractionHook;
  /** Largest number of entries a batch or transaction Bundle may carry (default MAX_BUNDLE_ENTRIES). */
  maxBundleEntries?: number;
  /** Longest `$break-glass`, in minutes (FHIRLEDGER_BREAK_GLASS_MAX_MINUTES; default 60). */
  maxBreakGlassMinutes?: number;
  /** This server's CapabilityStatement. */
  capabilityStatement: () => Record<string, unknown>;
}

/**
 * One line of the interaction table: the HTTP routes, the 405 `Allow` answers and the
 * CapabilityStatement all come from these.
 */
export interface InteractionRoute {
  /** The methods answered (GET answers HEAD too). */
  methods: readonly HttpMethod[];
  /** Literal segments and `:type`, `:id`, `:vid` parameters, e.g. `/:type/:id/_history/:vid`. */
  path: string;
  /** The interactions this route answers, as the CapabilityStatement claims them. */
  interactions: readonly InteractionCode[];
  level: InteractionLevel;
  /** The operation's code without `$`, for operation routes. */
  operation?: string;
  /** The resource types the route serves (default: every type). */
  types?: readonly string[];
  /**
   * What the body holds: a JSON resource; search parameters as a form; or an operation's input
   * Parameters resource, which may be left out (an empty body, with any Content-Type).
   */
  body?: "json" | "search-form" | "parameters";
  /** The response keeps its body under `Prefer: return=minimal` (a batch/transaction response). */
  keepsBodyWhenMinimal?: boolean;
  /** Answered without credentials (the CapabilityStatement). */
  public?: boolean;
  /** Said to a client that used another method on this path. */
  hint?: string;
  /** What the hook is told, when it is more than the route's first interaction. */
  describe?(params: RouteParams, request: FhirRequest): Partial<InteractionDescriptor>;
  handle(ctx: EngineContext, actor: Actor, params: RouteParams, request: FhirRequest): Promise<FhirResponse>;
}

/** `Prefer: handling=strict`: unknown search and history parameters are refused. */
export function isStrict(request: FhirRequest): boolean {
  return /handling\s*=\s*strict/i.test(request.headers.prefer ?? "");
}

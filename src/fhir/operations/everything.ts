import type { EngineContext } from "../engine/InteractionRoute.ts";
import { allPatientsEverything } from "./allPatientsEverything.ts";
import type { FhirOperation } from "./FhirOperation.ts";
import { invokedByGetAndPost } from "./invokedByGetAndPost.ts";
import { patientEverything } from "./patientEverything.ts";
import type { PatientEverythingDeps } from "./patientEverything.ts";

const deps = (ctx: EngineContext): PatientEverythingDeps => ({
  history: ctx.index,
  index: ctx.index,
  records: ctx.records,
  audit: ctx.audit,
  budget: () => ctx.fhir.responseBudget(),
  ...(ctx.fhir.access === undefined ? {} : { access: ctx.fhir.access }),
});

/**
 * `Patient/[id]/$everything` (patientEverything.ts) and `Patient/$everything`, every patient
 * (allPatientsEverything.ts), as the specification defines the operation.
 * @see https://hl7.org/fhir/R4/patient-operation-everything.html
 */
export const everything: FhirOperation = {
  code: "everything",
  definitionUrl: "http://hl7.org/fhir/OperationDefinition/Patient-everything",
  types: ["Patient"],
  // GET or POST (an empty body, or Parameters whose parameters join the URL's).
  routes: [
    ...invokedByGetAndPost({
      methods: ["GET"],
      path: "/Patient/$everything",
      interactions: ["operation"],
      level: "type",
      operation: "everything",
      types: ["Patient"],
      handle: (ctx, actor, _p, request) => allPatientsEverything(deps(ctx), actor, request.query, request.baseUrl),
    }),
    ...invokedByGetAndPost({
      methods: ["GET"],
      path: "/Patient/:id/$everything",
      interactions: ["operation"],
      level: "instance",
      operation: "everything",
      types: ["Patient"],
      handle: (ctx, actor, p, request) => patientEverything(deps(ctx), actor, p.id!, request.query, request.baseUrl),
    }),
  ],
};

import type { Actor } from "../../../src/auth/Actor.ts";
import type { OracleCaller } from "./oracle.ts";
import type { CallerSpec } from "./world.ts";

/** The engine's Actor and the oracle's view of one generated caller (a fresh object: no view cache outlives it). */
export function callerOf(spec: CallerSpec, n: number): { actor: Actor; model: OracleCaller } {
  const scopes = spec.scopes.split(" ");
  const purpose = spec.purpose === "TREAT" ? {} : { purposeOfUse: spec.purpose };
  switch (spec.kind) {
    case "practitioner":
      return {
        actor: {
          id: `user-${spec.who}-${n}`,
          role: "practitioner",
          scopes,
          fhirUser: `Practitioner/${spec.who}`,
          clientId: "ehr",
          tokenId: `t${n}`,
          ...purpose,
        } as Actor,
        model: {
          role: "practitioner",
          fhirUser: `Practitioner/${spec.who}`,
          scopes: spec.scopes,
          purpose: spec.purpose,
        },
      };
    case "patient":
      return {
        actor: {
          id: `user-${spec.who}-${n}`,
          role: "patient",
          scopes,
          patient: spec.who,
          fhirUser: `Patient/${spec.who}`,
          clientId: "portal",
          tokenId: `t${n}`,
        },
        model: {
          role: "patient",
          fhirUser: `Patient/${spec.who}`,
          patient: spec.who,
          scopes: spec.scopes,
          purpose: spec.purpose,
        },
      };
    case "system":
      return {
        actor: { id: spec.who, role: "system", scopes, clientId: spec.who, tokenId: `t${n}`, ...purpose } as Actor,
        model: { role: "system", clientId: spec.who, scopes: spec.scopes, purpose: spec.purpose },
      };
  }
}

export const describeCaller = (s: CallerSpec) => `${s.kind} ${s.who} [${s.scopes}] for ${s.purpose}`;

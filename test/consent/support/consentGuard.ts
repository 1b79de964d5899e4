import { consentAccess } from "../../../src/consent/consentAccess.ts";
import { smartAccess } from "../../../src/policy/smartAccess.ts";
import type { ConsentSourceLike } from "./memorySource.ts";
import type { WorldSpec } from "./world.ts";

/** The guard under proof, as startServer wires it: consent over SMART scopes, configured as the world says. */
export const consentGuard = (source: ConsentSourceLike, spec: WorldSpec) =>
  consentAccess(smartAccess(), source, { defaultDecision: spec.defaultDecision, bindsClients: spec.bindsClients });

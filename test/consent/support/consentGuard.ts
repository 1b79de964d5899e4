import { consentAccess } from "../../../src/consent/consentAccess.ts";
import { storedReferences } from "../../../src/consent/storedReferences.ts";
import { smartAccess } from "../../../src/policy/smartAccess.ts";
import type { StoreDeps } from "./consentEngine.ts";
import type { ConsentSourceLike } from "./memorySource.ts";
import type { WorldSpec } from "./world.ts";

/** The guard under proof, as startServer wires it: consent over SMART scopes, configured as the world says. */
export const consentGuard = (source: ConsentSourceLike, spec: WorldSpec, deps: StoreDeps) =>
  consentAccess(smartAccess(), source, {
    defaultDecision: spec.defaultDecision,
    bindsClients: spec.bindsClients,
    referencesOf: storedReferences(deps),
  });

import type { AccessLetter } from "../fhir/engine/AccessGuard.ts";
import type { InteractionDescriptor } from "../fhir/engine/InteractionHook.ts";

/**
 * What one interaction needs: each letter on `type`, where "any" is some type (a system-level
 * search or history, whose results are then limited to the types granted). `anyLetter`: some
 * letter on the type will do ($validate). `refuse`: no scope allows it.
 */
export type Needs =
  | { kind: "none" }
  | { kind: "letters"; type: string | "any"; letters: readonly AccessLetter[] }
  | { kind: "anyLetter"; type: string }
  | { kind: "erase" }
  | { kind: "breakGlass" }
  | { kind: "refuse"; reason: string };

/**
 * The SMART letters an interaction needs (SMART v2: r = read, vread and instance history;
 * s = search and type/system history; c = create; u = update and patch, with c too when an
 * update creates, which the engine checks when it knows; d = delete). Operations: `$everything`
 * r+s on Patient (its members are then limited to the types granted with s), `$verify` r on
 * the type, `$erase` the erase rule, `$break-glass` the break-glass rule (see decideInteraction),
 * `$validate` any letter on the type, AuditEvent `$export` s on AuditEvent.
 * A batch or transaction needs nothing itself: each entry is checked as its own interaction.
 * @see https://build.fhir.org/ig/HL7/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-fhir-resources
 */
export function requiredAccess(d: InteractionDescriptor): Needs {
  const type = d.type ?? "any";
  const letters = (...ls: AccessLetter[]): Needs => ({ kind: "letters", type, letters: ls });
  switch (d.interaction) {
    case "capabilities":
    case "transaction":
    case "batch":
      return { kind: "none" };
    case "read":
    case "vread":
    case "history-instance":
      return letters("r");
    case "search-type":
    case "search-system":
    case "history-type":
    case "history-system":
      return letters("s");
    case "create":
      return letters("c");
    case "update":
    case "patch":
      return letters("u");
    case "delete":
      return letters("d");
    case "operation":
      switch (d.operation) {
        case "everything":
          return { kind: "letters", type: "Patient", letters: ["r", "s"] };
        case "verify":
          return letters("r");
        case "export":
          // AuditEvent/$export: a search of AuditEvent by another name (src/audit/auditExport.ts)
          return { kind: "letters", type: "AuditEvent", letters: ["s"] };
        case "erase":
          return { kind: "erase" };
        case "break-glass":
          return { kind: "breakGlass" };
        case "validate":
          return d.type === undefined
            ? { kind: "refuse", reason: "$validate needs a type" }
            : { kind: "anyLetter", type: d.type };
        default:
          return { kind: "refuse", reason: `no scope grants $${String(d.operation).slice(0, 64)}` };
      }
  }
}

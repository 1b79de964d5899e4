import { describe, expect, it } from "vitest";
import type { Actor } from "../auth/Actor.ts";
import type { InteractionDescriptor } from "../fhir/engine/InteractionHook.ts";
import { decideInteraction } from "./decideInteraction.ts";
import { requiredAccess } from "./requiredAccess.ts";

const d = (interaction: InteractionDescriptor["interaction"], more: Partial<InteractionDescriptor> = {}) =>
  ({ interaction, level: "type", type: "Observation", inBundle: false, ...more }) as InteractionDescriptor;
const actor = (role: Actor["role"], scopes: string, patient?: string): Actor => ({
  id: "x",
  role,
  scopes: scopes.split(" "),
  ...(patient ? { patient } : {}),
});
const allowed = (a: Actor, i: InteractionDescriptor) => {
  try {
    decideInteraction(a, i);
    return true;
  } catch (error) {
    expect((error as { code: string }).code).toBe("forbidden");
    return false;
  }
};

describe("requiredAccess", () => {
  it("maps each interaction to its SMART letters", () => {
    const letters = (i: InteractionDescriptor) => {
      const n = requiredAccess(i);
      return n.kind === "letters" ? `${n.type}.${n.letters.join("")}` : n.kind;
    };
    expect(letters(d("read"))).toBe("Observation.r");
    expect(letters(d("vread"))).toBe("Observation.r");
    expect(letters(d("history-instance"))).toBe("Observation.r");
    expect(letters(d("history-type"))).toBe("Observation.s");
    expect(letters(d("history-system", { type: undefined }))).toBe("any.s");
    expect(letters(d("search-type"))).toBe("Observation.s");
    expect(letters(d("search-system", { type: undefined }))).toBe("any.s");
    expect(letters(d("create"))).toBe("Observation.c");
    expect(letters(d("update"))).toBe("Observation.u");
    expect(letters(d("patch"))).toBe("Observation.u");
    expect(letters(d("delete"))).toBe("Observation.d");
    expect(letters(d("capabilities"))).toBe("none");
    expect(letters(d("transaction"))).toBe("none");
    expect(letters(d("batch"))).toBe("none");
    expect(letters(d("operation", { operation: "everything", type: "Patient" }))).toBe("Patient.rs");
    expect(letters(d("operation", { operation: "verify" }))).toBe("Observation.r");
    expect(letters(d("operation", { operation: "erase", type: "Patient" }))).toBe("erase");
    expect(letters(d("operation", { operation: "validate" }))).toBe("anyLetter");
    expect(letters(d("operation", { operation: "unknown-op" }))).toBe("refuse");
  });
});

describe("decideInteraction: scopes ∩ role", () => {
  it("gives system clients their system/ scopes only", () => {
    expect(allowed(actor("system", "system/*.*"), d("delete"))).toBe(true);
    expect(allowed(actor("system", "user/*.* patient/*.*"), d("read"))).toBe(false);
    expect(allowed(actor("system", "system/Observation.rs"), d("create"))).toBe(false);
  });

  it("gives practitioners user/ scopes, and patient/ scopes only with a patient in context", () => {
    expect(allowed(actor("practitioner", "user/Observation.rs"), d("search-type"))).toBe(true);
    expect(allowed(actor("practitioner", "system/*.*"), d("read"))).toBe(false);
    expect(allowed(actor("practitioner", "patient/Observation.rs"), d("read"))).toBe(false);
    expect(allowed(actor("practitioner", "patient/Observation.rs", "p1"), d("read"))).toBe(true);
  });

  it("gives patients user/ and patient/ scopes, and nothing without their Patient id", () => {
    expect(allowed(actor("patient", "patient/Observation.rs", "p1"), d("read"))).toBe(true);
    expect(allowed(actor("patient", "user/Observation.rs", "p1"), d("read"))).toBe(true);
    expect(allowed(actor("patient", "patient/Observation.rs"), d("read"))).toBe(false);
    expect(allowed(actor("patient", "system/*.*", "p1"), d("read"))).toBe(false);
  });

  it("gives administrators and anonymous callers no clinical data, whatever their scopes", () => {
    for (const role of ["admin", "anonymous"] as const) {
      expect(allowed(actor(role, "system/*.* user/*.*"), d("read"))).toBe(false);
      expect(allowed(actor(role, "system/*.* user/*.*"), d("search-system", { type: undefined }))).toBe(false);
      expect(allowed(actor(role, ""), d("capabilities", { type: undefined, level: "system" }))).toBe(true);
    }
  });

  it("gives auditors read and search of AuditEvent only", () => {
    const auditor = actor("auditor", "user/*.*");
    expect(allowed(auditor, d("search-type", { type: "AuditEvent" }))).toBe(true);
    expect(allowed(auditor, d("read", { type: "AuditEvent" }))).toBe(true);
    expect(allowed(auditor, d("create", { type: "AuditEvent" }))).toBe(false);
    expect(allowed(auditor, d("read"))).toBe(false);
  });

  it("needs each letter: r and s apart both count, .r alone does not search", () => {
    expect(allowed(actor("practitioner", "user/Observation.r"), d("search-type"))).toBe(false);
    const split = actor("practitioner", "user/Patient.r user/Patient.s");
    expect(allowed(split, d("operation", { operation: "everything", type: "Patient", level: "instance" }))).toBe(true);
  });

  it("lets $break-glass through for practitioners who may read Patient only", () => {
    const glass = d("operation", { operation: "break-glass", type: "Patient", level: "instance" });
    expect(allowed(actor("practitioner", "user/*.rs"), glass)).toBe(true);
    expect(allowed(actor("practitioner", "user/Patient.r"), glass)).toBe(true);
    expect(allowed(actor("practitioner", "user/Observation.rs"), glass)).toBe(false);
    expect(allowed(actor("system", "system/*.*"), glass)).toBe(false);
    expect(allowed(actor("patient", "patient/*.*"), glass)).toBe(false);
    expect(allowed(actor("admin", ""), glass)).toBe(false);
  });

  it("lets $erase through for administrators and system clients with Patient.d only", () => {
    const erase = d("operation", { operation: "erase", type: "Patient", level: "instance" });
    expect(allowed(actor("admin", ""), erase)).toBe(true);
    expect(allowed(actor("system", "system/Patient.d"), erase)).toBe(true);
    expect(allowed(actor("system", "system/Patient.rs"), erase)).toBe(false);
    expect(allowed(actor("practitioner", "user/*.*"), erase)).toBe(false);
  });

  it("says which scope is missing, in an OperationOutcome issue", () => {
    try {
      decideInteraction(actor("practitioner", "user/Observation.rs"), d("read", { type: "Condition" }));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe(
        "insufficient scope: user/Condition.r (or a scope including it) is required",
      );
      expect((error as { issues: { type: string }[] }).issues[0]!.type).toBe("forbidden");
    }
  });

  it("grants nothing for a granular constraint it can't check alike in a query and on a resource", () => {
    // a string parameter: matched by prefix in a search, not checkable as such here
    expect(allowed(actor("practitioner", "user/Patient.rs?name=Smith"), d("read", { type: "Patient" }))).toBe(false);
    expect(allowed(actor("practitioner", "user/Patient.rs?gender=male"), d("read", { type: "Patient" }))).toBe(true);
  });
});

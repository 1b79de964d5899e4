type Json = Record<string, unknown>;

/** A person's or group's own name as its resource gives it (HumanName, `name` string, or a reference's display); else undefined. */
export function resourceName(resource: Json): string | undefined {
  const name = resource.name;
  if (typeof name === "string" && name.trim() !== "") return name.trim().slice(0, 200);
  if (Array.isArray(name)) {
    const first = name[0] as Json | undefined;
    if (first) {
      if (typeof first.text === "string" && first.text.trim() !== "") return first.text.trim().slice(0, 200);
      const given = Array.isArray(first.given) ? (first.given as unknown[]).map(String).join(" ") : "";
      const prefix = Array.isArray(first.prefix) ? (first.prefix as unknown[]).map(String).join(" ") : "";
      const text = `${prefix} ${given} ${typeof first.family === "string" ? first.family : ""}`.trim();
      if (text !== "") return text.slice(0, 200);
    }
  }
  // A PractitionerRole names its practitioner (and organization) by reference display.
  const practitioner = (resource.practitioner as Json | undefined)?.display;
  const organization = (resource.organization as Json | undefined)?.display;
  const parts = [practitioner, organization].filter((p): p is string => typeof p === "string" && p !== "");
  return parts.length > 0 ? parts.join(", ").slice(0, 200) : undefined;
}

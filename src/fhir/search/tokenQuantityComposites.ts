import { searchParameterByUrl, type SearchParamDef } from "./searchParameters.ts";

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

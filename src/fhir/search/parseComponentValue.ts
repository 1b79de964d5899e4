import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { SearchParamType } from "../../ports/SearchRequest.ts";
import type { SearchValue } from "../../ports/SearchRequest.ts";
import { SEARCH_TYPES } from "./types/index.ts";

/** Parses one `$`-separated component of a composite value according to its parameter type. */
export function parseComponentValue(type: SearchParamType, raw: string): SearchValue {
  const v = SEARCH_TYPES[type].parse(raw, undefined);
  if (v === undefined) throw new FhirLedgerError("invalid", `Malformed ${type} value in composite`);
  return v;
}

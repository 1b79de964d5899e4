import { createHash } from "node:crypto";
import type { Actor } from "../../auth/Actor.ts";
import { parseSearchRequest } from "../../fhir/search/parseSearchRequest.ts";
import type { SearchIndex } from "../../ports/SearchIndex.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import type { AccessorContext, ConsentSource } from "../ConsentSource.ts";

/**
 * A ConsentSource for tests that reads every active Consent from the index and records (no
 * access check), so Consents written through the engine count from the next request; its
 * version is a digest of them. Memberships and purposes are given per fhirUser.
 */
export function engineConsentSource(
  stores: () => { index: SearchIndex; records: RecordRepository },
  options: { memberships?: Record<string, string[]>; purpose?: Record<string, string> } = {},
): ConsentSource & { calls: number } {
  const source = {
    calls: 0,
    async consentsFor(actor: Actor) {
      source.calls++;
      const { index, records } = stores();
      const page = await index.search(parseSearchRequest("Consent", new URLSearchParams("status=active&_count=1000")));
      const consents = await Promise.all(page.matches.map(async (v) => (await records.load(v)).resource!));
      const digest = createHash("sha256").update(JSON.stringify(consents)).digest();
      const user = actor.fhirUser;
      const accessor: AccessorContext = {
        ...(user === undefined ? {} : { fhirUser: user }),
        memberships: (user === undefined ? undefined : options.memberships?.[user]) ?? [],
        purpose: (user === undefined ? undefined : options.purpose?.[user]) ?? "TREAT",
      };
      return { consents, accessor, version: digest.readUInt32BE(0) };
    },
  };
  return source;
}

import { ImportStopped } from "./ImportStopped.ts";
import type { PostBundle, PostResult, ResponseEntry } from "./importTypes.ts";

/**
 * A function POSTing Bundles to the server with the token. A 401/403 or an unreachable server
 * throws ImportStopped (the run stops); any other refusal is returned, 413 with what to do.
 */
export function createBundlePoster(server: { base: string; endpoint: string; token: string }): PostBundle {
  const { base, endpoint, token } = server;
  return async function postBundle(body: string): Promise<PostResult> {
    let res: Response;
    try {
      res = await fetch(base, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/fhir+json",
          accept: "application/fhir+json",
        },
        body,
      });
    } catch (error) {
      throw new ImportStopped(`cannot reach the server at ${endpoint} (${reasonOf(error)})`);
    }
    const answer = (await res.json().catch(() => ({}))) as {
      entry?: ResponseEntry[];
      issue?: { diagnostics?: string }[];
    };
    const diagnostics = (answer.issue ?? [])
      .map((i) => i.diagnostics)
      .join("; ")
      .slice(0, 300);
    if (res.status === 401 || res.status === 403) {
      throw new ImportStopped(
        `the server at ${endpoint} refused the token (HTTP ${res.status}${diagnostics ? `: ${diagnostics}` : ""})`,
      );
    }
    if (res.status === 413) {
      const mb = (Buffer.byteLength(body) / 1024 / 1024).toFixed(1);
      return {
        ok: false,
        message: `HTTP 413: the server takes smaller requests than this ${mb} MB bundle; raise FHIRLEDGER_MAX_BODY_BYTES on the server and run the import again`,
      };
    }
    if (!res.ok) return { ok: false, message: `HTTP ${res.status}: ${diagnostics}` };
    return { ok: true, entries: answer.entry ?? [] };
  };
}

/** Why fetch failed, in a few words (its message is only "fetch failed"). */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

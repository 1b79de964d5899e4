/** The shapes `fhirledger import` reads, sends and gets back. */

import type { ImportTracker } from "./ImportTracker.ts";

/** What the importer reads of a Bundle: its kind and, per entry, what packing and counting need. */
export type Bundle = { resourceType?: string; type?: string; entry?: BundleEntry[] };

export type BundleEntry = {
  fullUrl?: string;
  resource?: { resourceType?: string };
  request?: {
    method?: string;
    url?: string;
    ifNoneExist?: string;
    ifMatch?: string;
    ifNoneMatch?: string;
    ifModifiedSince?: string;
  };
};

export type ResponseEntry = {
  response?: { status?: string; location?: string; outcome?: { issue?: { diagnostics?: string }[] } };
};

/** A bundle file, read and checked. */
export type Item = { file: string; fingerprint: string; bundle: Bundle; text: string };

/** What the workers take, in file order (see importUnits). */
export type Unit =
  | { kind: "skip"; file: string }
  | { kind: "bad"; file: string; message: string }
  | { kind: "ndjson"; file: string; fingerprint: string }
  | { kind: "bundle"; items: Item[] };

/** The server's answer to one Bundle: its response entries, or why the whole request was refused. */
export type PostResult = { ok: true; entries: ResponseEntry[] } | { ok: false; message: string };

/** POSTs a Bundle's JSON text to the server. */
export type PostBundle = (body: string) => Promise<PostResult>;

/** What the senders share: the server, the run's record, and the NDJSON batch size. */
export type ImportContext = { post: PostBundle; tracker: ImportTracker; batchSize: number };

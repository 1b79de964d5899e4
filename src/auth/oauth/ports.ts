import type { Context } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";

/** The roles of people; "system" is a Backend Services client, never a person. */
export type PersonRole = "admin" | "practitioner" | "patient" | "auditor";

/** The signed-in browser user, as pages and the authorize endpoint see it (the accounts part provides it). */
export interface SessionUser {
  userId: string;
  username: string;
  role: PersonRole;
  /** "Patient/123" or "Practitioner/9" */
  fhirUser?: string;
}

/** The page session (cookie login and CSRF), implemented by the accounts part. */
export interface PageSession {
  user(c: Context): Promise<SessionUser | undefined>;
  csrfToken(c: Context): Promise<string>;
  checkCsrf(c: Context, token: string | undefined): Promise<boolean>;
}

/** Who looks at a page: the layout's header names them and offers to sign out (CSRF-protected). */
export interface PageViewer {
  user: SessionUser;
  csrf: string;
}

/** Wraps a page body in the site layout (the accounts part's src/ui/layout.ts). */
export type RenderPage = (
  title: string,
  body: HtmlEscapedString | string,
  viewer?: PageViewer,
) => HtmlEscapedString | Promise<HtmlEscapedString>;

/** A patient a practitioner may pick for a standalone launch. */
export interface PickablePatient {
  /** The Patient's logical id. */
  id: string;
  /** A display name, shown on the picker page. */
  name: string;
}

/**
 * Finds the patients a practitioner may launch an app for (the main engineer wires it to FHIR
 * search through the engine, as that user). Both methods answer only what `user` may see.
 */
export interface PatientPicker {
  /** At most `limit` patients matching `query` (a name fragment; empty lists the first ones). */
  search(user: SessionUser, query: string, limit: number): Promise<PickablePatient[]>;
  /** The patient when `user` may pick it, else undefined. */
  get(user: SessionUser, id: string): Promise<PickablePatient | undefined>;
}

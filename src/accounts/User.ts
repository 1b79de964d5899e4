/** The roles of people (clients have "system"; see src/auth/Actor.ts). */
export type UserRole = "admin" | "practitioner" | "patient" | "auditor";

export const USER_ROLES: readonly UserRole[] = ["admin", "practitioner", "patient", "auditor"];

/** An account as the rest of the server sees it: never its password hash. */
export interface User {
  id: string;
  username: string;
  email: string | null;
  role: UserRole;
  /** "Patient/123" for patients, "Practitioner/9" for practitioners; absent for the others. */
  fhirUser: string | null;
  createdAt: number;
  disabled: boolean;
}

/** The signed-in browser user, as pages and the OAuth authorize endpoint see it. */
export interface SessionUser {
  userId: string;
  username: string;
  role: UserRole;
  fhirUser?: string;
}

import { R4_ID_SOURCE } from "../fhir/ids.ts";
import { fieldError } from "./fieldError.ts";

export const USERNAME_MAX = 64;
export const EMAIL_MAX = 254;

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;
// Pragmatic, not RFC 5322: one @, a local part without spaces, quotes or angle brackets, a dotted host name.
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const EMAIL = new RegExp(`^[A-Za-z0-9.!#$%&'*+/=?^_\`{|}~-]{1,64}@${LABEL}(?:\\.${LABEL})+$`);
const PATIENT_REF = new RegExp(`^Patient/${R4_ID_SOURCE}$`);
const PRACTITIONER_REF = new RegExp(`^Practitioner/${R4_ID_SOURCE}$`);

/** A username as stored (trimmed), after checking it: 3 to 64 letters, digits, dots, dashes or underscores. */
export function checkUsername(value: string): string {
  const username = value.trim();
  if (username === "") throw fieldError("username", "Username is required.");
  if (username.length > USERNAME_MAX)
    throw fieldError("username", `Username must be at most ${USERNAME_MAX} characters.`);
  if (!USERNAME.test(username))
    throw fieldError(
      "username",
      "Username must be 3 to 64 characters: letters, digits, dots, dashes or underscores, starting with a letter or digit.",
    );
  return username;
}

/** An email address as stored (trimmed, lower case), after checking its form. */
export function checkEmail(value: string): string {
  const email = value.trim().toLowerCase();
  if (email === "") throw fieldError("email", "Email is required.");
  if (email.length > EMAIL_MAX) throw fieldError("email", `Email must be at most ${EMAIL_MAX} characters.`);
  if (!EMAIL.test(email) || email.includes("..") || email.startsWith(".") || email.split("@")[0]!.endsWith("."))
    throw fieldError("email", "Email is not a valid address (name@example.org).");
  return email;
}

/** The case-insensitive key two usernames or emails are duplicates by. */
export function identityKey(value: string): string {
  return value.normalize("NFKC").toLowerCase();
}

/** A `Patient/<id>` reference, checked. */
export function checkPatientReference(value: string, field: "fhirUser" | "patient" = "patient"): string {
  const ref = value.trim();
  if (!PATIENT_REF.test(ref)) throw fieldError(field, "Patient must be a reference such as Patient/123.");
  return ref;
}

/** A `Practitioner/<id>` reference, checked. */
export function checkPractitionerReference(value: string): string {
  const ref = value.trim();
  if (!PRACTITIONER_REF.test(ref))
    throw fieldError("fhirUser", "Practitioner must be a reference such as Practitioner/123.");
  return ref;
}

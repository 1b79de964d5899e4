import { fieldError } from "./fieldError.ts";

export const NAME_MAX = 100;

/** A given or family name as typed (trimmed): 1 to 100 characters, no control characters. */
export function checkPersonName(value: string, field: "given" | "family"): string {
  const label = field === "given" ? "Given name" : "Family name";
  const name = value.trim().normalize("NFC");
  if (name === "") throw fieldError(field, `${label} is required.`);
  if ([...name].length > NAME_MAX) throw fieldError(field, `${label} must be at most ${NAME_MAX} characters.`);
  if (/[\p{Cc}\p{Cf}]/u.test(name))
    throw fieldError(field, `${label} contains characters that can't be part of a name.`);
  return name;
}

/** An optional birth date: empty, or a real day as YYYY-MM-DD no later than `today` (FHIR `date`). */
export function checkBirthDate(value: string, today: Date = new Date()): string | undefined {
  const date = value.trim();
  if (date === "") return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const day = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !day || day.toISOString().slice(0, 10) !== date || Number(m[1]) < 1900)
    throw fieldError("birthDate", "Birth date must be a date such as 1980-04-23.");
  if (date > today.toISOString().slice(0, 10)) throw fieldError("birthDate", "Birth date can't be in the future.");
  return date;
}

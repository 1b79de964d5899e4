import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AccountField } from "../accounts/fieldError.ts";
import { fieldOf } from "../accounts/fieldError.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";

/** A posted form's text fields (files are dropped; the body limit caps the rest). */
export type Form = Record<string, string>;

/** Errors to show beside fields, and one for the whole form. */
export interface FormErrors {
  fields: Partial<Record<string, string>>;
  form?: string;
}

export const NO_ERRORS: FormErrors = Object.freeze({ fields: {} }) as FormErrors;

/** The posted body as text fields; the first value of a repeated field. */
export async function readForm(c: Context): Promise<Form> {
  const type = c.req.header("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) return {};
  const body = await c.req.parseBody({ all: true });
  const form: Form = {};
  for (const [name, value] of Object.entries(body)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === "string") form[name] = first;
  }
  return form;
}

/** The HTTP status and the errors to show for an error thrown while handling a form. */
export function formErrorsOf(error: unknown): { status: 400 | 403 | 404 | 409; errors: FormErrors } {
  if (!(error instanceof FhirLedgerError)) throw error;
  const status =
    error.code === "conflict" ? 409 : error.code === "forbidden" ? 403 : error.code === "not-found" ? 404 : 400;
  if (status === 400 && error.code !== "invalid" && error.code !== "bad-request") throw error;
  const field: AccountField | undefined = fieldOf(error);
  return { status, errors: field ? { fields: { [field]: error.message } } : { fields: {}, form: error.message } };
}

export interface FieldOptions {
  name: string;
  label: string;
  type?: "text" | "email" | "password" | "date" | "url";
  value?: string | undefined;
  autocomplete?: string;
  hint?: string;
  required?: boolean;
  errors: FormErrors;
  /** For inputmode, maxlength and the like. */
  maxlength?: number;
}

/**
 * A labelled input whose hint and error are tied to it (aria-describedby), so a screen reader
 * reads them with the field, and aria-invalid marks the field in error.
 */
export function field(o: FieldOptions): HtmlEscapedString | Promise<HtmlEscapedString> {
  const id = `f-${o.name}`;
  const error = o.errors.fields[o.name];
  const described = [o.hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return html`<div>
<label for="${id}">${o.label}${o.required === false ? html` <span class="hint">(optional)</span>` : ""}</label>
${o.hint ? html`<span class="hint" id="${id}-hint">${o.hint}</span>` : ""}
<input id="${id}" name="${o.name}" type="${o.type ?? "text"}"${o.type === "password" ? "" : html` value="${o.value ?? ""}"`}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ""}${o.required === false ? "" : html` required`}${o.maxlength ? html` maxlength="${o.maxlength}"` : ""}${described ? html` aria-describedby="${described}"` : ""}${error ? html` aria-invalid="true"` : ""}>
${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : ""}
</div>`;
}

/** The hidden CSRF field every form carries. */
export function csrfField(token: string): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/**
 * The error summary at the top of a form: the form's error, then each field's as a link to the
 * field, announced by screen readers when the page shows it.
 */
export function formAlert(errors: FormErrors): HtmlEscapedString | Promise<HtmlEscapedString> | string {
  const fields = Object.entries(errors.fields).filter((e): e is [string, string] => Boolean(e[1]));
  if (!errors.form && fields.length === 0) return "";
  return html`<div class="alert" role="alert">${errors.form ? html`<p>${errors.form}</p>` : ""}${
    fields.length > 0
      ? html`<ul>${fields.map(([name, message]) => html`<li><a href="#f-${name}">${message}</a></li>`)}</ul>`
      : ""
  }</div>`;
}

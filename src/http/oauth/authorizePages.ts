import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { PendingAuthorization } from "../../auth/oauth/authorizeRequest.ts";
import type { PickablePatient } from "../../auth/oauth/ports.ts";
import { describeScope } from "../../auth/oauth/scopes.ts";

type Page = HtmlEscapedString | Promise<HtmlEscapedString>;

// The bodies below hold no <h1>: the RenderPage layout makes the title the page's one heading.

/** The approval page's title (its heading). */
export function approvalTitle(request: PendingAuthorization): string {
  return `Allow ${request.clientName} to use your records?`;
}

/** The patient picker's title (its heading). */
export function patientPickerTitle(request: PendingAuthorization): string {
  return `Choose the patient for ${request.clientName}`;
}

/** The approval screen: the app, the patient, each scope in plain words with a box to untick, approve or deny. */
export function approvalPage(
  request: PendingAuthorization,
  requestId: string,
  csrf: string,
  patient: PickablePatient | undefined,
): Page {
  const scopeItems = request.scopes.map(
    (scope, i) => html`<li>
        <input type="checkbox" id="scope-${i}" name="scope" value="${scope}" checked />
        <label for="scope-${i}">${describeScope(scope)} <code>${scope}</code></label>
      </li>`,
  );
  const patientLine =
    request.context.patient === undefined
      ? ""
      : html`<p>Patient: <strong>${patient?.name ?? ""}</strong> <code>Patient/${request.context.patient}</code></p>`;
  return html`${patientLine}
    <form method="post" action="/auth/authorize/decision">
      <input type="hidden" name="request" value="${requestId}" />
      <input type="hidden" name="csrf" value="${csrf}" />
      <fieldset>
        <legend>${request.clientName} asks to:</legend>
        <ul>
          ${scopeItems}
        </ul>
      </fieldset>
      <button type="submit" name="action" value="approve">Allow</button>
      <button type="submit" name="action" value="deny">Deny</button>
    </form>`;
}

/** The patient picker of a standalone launch: a name search and the matches to choose from. */
export function patientPickerPage(
  // Named by the title (patientPickerTitle); kept so both pages take the same arguments.
  _request: PendingAuthorization,
  requestId: string,
  csrf: string,
  query: string,
  patients: readonly PickablePatient[],
): Page {
  const choices = patients.map(
    (p, i) => html`<li>
        <input type="radio" id="patient-${i}" name="patient" value="${p.id}" ${i === 0 ? "checked" : ""} />
        <label for="patient-${i}">${p.name} <code>Patient/${p.id}</code></label>
      </li>`,
  );
  return html`<form method="get" action="/auth/authorize/pick">
      <input type="hidden" name="request" value="${requestId}" />
      <label for="q">Patient name</label>
      <input type="search" id="q" name="q" value="${query}" maxlength="100" />
      <button type="submit">Search</button>
    </form>
    <form method="post" action="/auth/authorize/decision">
      <input type="hidden" name="request" value="${requestId}" />
      <input type="hidden" name="csrf" value="${csrf}" />
      ${patients.length === 0 ? html`<p>No patient found.</p>` : html`<ul>${choices}</ul>`}
      <button type="submit" name="action" value="pick" ${patients.length === 0 ? "disabled" : ""}>Continue</button>
      <button type="submit" name="action" value="deny">Cancel</button>
    </form>`;
}

/** An error the user reads (the client could not be trusted with a redirect). */
export function errorPage(message: string): Page {
  return html`<p role="alert">${message}</p>
    <p>Go back to the app and start again.</p>`;
}

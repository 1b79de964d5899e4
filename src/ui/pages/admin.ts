import type { Hono } from "hono";
import { html } from "hono/html";
import { fieldError } from "../../accounts/fieldError.ts";
import { USER_ROLES, type User, type UserRole } from "../../accounts/User.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { csrfField, field, formAlert, formErrorsOf, type Form, type FormErrors, NO_ERRORS } from "../forms.ts";
import type { ClientRegistration, ClientSummary, ClientType } from "../ports.ts";
import { requireRole } from "../requireRole.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";
import { PASSWORD_HINT } from "./register.ts";

const PAGE_SIZE = 100;
const MAX_REDIRECT_URIS = 10;
const CLIENT_TYPES: Record<ClientType, string> = {
  public: "Public (browser or mobile app, PKCE)",
  "confidential-symmetric": "Confidential with a client secret",
  "confidential-asymmetric": "Confidential with a key pair (private_key_jwt; backend services too)",
};
export const ROLE_NAMES: Record<UserRole, string> = {
  admin: "Administrator",
  practitioner: "Practitioner",
  patient: "Patient",
  auditor: "Auditor",
};
const NOTICES: Record<string, string> = {
  disabled: "The account is disabled and signed out everywhere.",
  enabled: "The account is enabled.",
  removed: "The app is removed.",
};

function usersTable(c: UiContext, users: User[]) {
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">Accounts</caption>
<thead><tr><th scope="col">Username</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Linked to</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
<tbody>
${users.map(
  (
    u,
  ) => html`<tr><td>${u.username}</td><td>${u.email ?? ""}</td><td>${ROLE_NAMES[u.role]}</td><td>${u.fhirUser ?? ""}</td><td>${u.disabled ? "Disabled" : "Active"}</td>
<td><form class="inline" method="post" action="/admin/users/${encodeURIComponent(u.id)}/${u.disabled ? "enable" : "disable"}">${csrfField(c.get("csrf"))}<button class="secondary" type="submit">${u.disabled ? "Enable" : "Disable"}<span class="visually-hidden"> ${u.username}</span></button></form></td></tr>`,
)}
</tbody></table></div>`;
}

function createUserForm(c: UiContext, form: Form, errors: FormErrors) {
  const role = form.role ?? "practitioner";
  return html`<h2 id="create-account">Create an account</h2>
${formAlert(errors)}
<form class="stack" method="post" action="/admin/users" novalidate aria-labelledby="create-account">
${csrfField(c.get("csrf"))}
<div><label for="f-role">Role</label>
<select id="f-role" name="role"${errors.fields.role ? html` aria-invalid="true" aria-describedby="f-role-error"` : ""}>
${USER_ROLES.map((r) => html`<option value="${r}"${r === role ? html` selected` : ""}>${ROLE_NAMES[r]}</option>`)}
</select>${errors.fields.role ? html`<p class="field-error" id="f-role-error">${errors.fields.role}</p>` : ""}</div>
${field({ name: "username", label: "Username", value: form.username, autocomplete: "off", errors, maxlength: 64 })}
${field({ name: "email", label: "Email", type: "email", value: form.email, autocomplete: "off", required: false, hint: "Required for patients.", errors, maxlength: 254 })}
${field({ name: "fhirUser", label: "Linked FHIR resource", value: form.fhirUser, required: false, hint: "Practitioner/<id> for a practitioner, Patient/<id> for a patient; empty for administrators and auditors.", errors, maxlength: 200 })}
${field({ name: "password", label: "Initial password", type: "password", autocomplete: "new-password", hint: PASSWORD_HINT, errors })}
<div><button type="submit">Create account</button></div>
</form>`;
}

function appsSection(c: UiContext, apps: ClientSummary[] | undefined, form: Form, errors: FormErrors) {
  const type = (form.type ?? "public") as ClientType;
  return html`<h2 id="apps">Apps</h2>
${
  apps === undefined
    ? html`<p class="alert">The list of apps could not be read.</p>`
    : apps.length === 0
      ? html`<p>No app is registered.</p>`
      : html`<div class="table-wrap"><table>
<caption class="visually-hidden">Registered apps</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Client id</th><th scope="col">Type</th><th scope="col">Redirect URIs</th><th scope="col">Scopes</th><th scope="col">Action</th></tr></thead>
<tbody>${apps.map(
          (
            a,
          ) => html`<tr><td>${a.name}</td><td><code>${a.clientId}</code></td><td>${CLIENT_TYPES[a.type] ?? a.type}</td><td>${a.redirectUris.map((u) => html`<code>${u}</code><br>`)}</td><td><code>${a.scope}</code></td>
<td><form class="inline" method="post" action="/admin/apps/${encodeURIComponent(a.clientId)}/remove">${csrfField(c.get("csrf"))}<button class="secondary" type="submit">Remove<span class="visually-hidden"> ${a.name}</span></button></form></td></tr>`,
        )}</tbody></table></div>`
}
<h3 id="register-app">Register an app</h3>
${formAlert(errors)}
<form class="stack" method="post" action="/admin/apps" novalidate aria-labelledby="register-app">
${csrfField(c.get("csrf"))}
${field({ name: "name", label: "Name", value: form.name, autocomplete: "off", errors, maxlength: 100 })}
<div><label for="f-type">Type</label><select id="f-type" name="type">
${Object.entries(CLIENT_TYPES).map(([value, label]) => html`<option value="${value}"${value === type ? html` selected` : ""}>${label}</option>`)}
</select></div>
<div><label for="f-redirectUris">Redirect URIs</label><span class="hint" id="f-redirectUris-hint">One a line, at most ${MAX_REDIRECT_URIS}; exact match. Empty for a backend service.</span>
<textarea id="f-redirectUris" name="redirectUris" rows="3" aria-describedby="f-redirectUris-hint">${form.redirectUris ?? ""}</textarea></div>
${field({ name: "scope", label: "Scopes", value: form.scope, autocomplete: "off", hint: "Space-separated, e.g. launch/patient openid fhirUser patient/*.rs", errors, maxlength: 2000 })}
${field({ name: "jwksUri", label: "JWKS URL", type: "url", value: form.jwksUri, required: false, hint: "For a key-pair client: where its public keys are.", errors, maxlength: 2000 })}
<div><button type="submit">Register app</button></div>
</form>`;
}

/** GET /admin and its forms: accounts of every role and registered apps. Administrators only; no clinical data. */
export function registerAdmin(app: Hono<UiEnv>, deps: UiDeps): void {
  app.use("/admin", requireRole(deps, ["admin"]));
  app.use("/admin/*", requireRole(deps, ["admin"]));

  const render = async (
    c: UiContext,
    options: {
      userForm?: Form;
      userErrors?: FormErrors;
      appForm?: Form;
      appErrors?: FormErrors;
      notice?: unknown;
      status?: number;
    } = {},
  ) => {
    const page = Math.max(0, Math.min(Number.parseInt(c.req.query("page") ?? "0", 10) || 0, 100_000));
    const users = deps.users.listUsers({ limit: PAGE_SIZE, offset: page * PAGE_SIZE });
    const total = deps.users.countUsers();
    let apps: ClientSummary[] | undefined;
    try {
      apps = await deps.clients.list();
    } catch {
      apps = undefined;
    }
    const noticeKey = c.req.query("notice");
    const notice = options.notice ?? (noticeKey && Object.hasOwn(NOTICES, noticeKey) ? NOTICES[noticeKey] : undefined);
    return deps.page(
      c,
      "Administration",
      html`${notice ? html`<div class="notice" role="status">${notice}</div>` : ""}
<h2>Accounts</h2>
<p>${total} account${total === 1 ? "" : "s"}. <a href="/activation-codes">Issue an activation code</a> for a patient who has a record here.</p>
${usersTable(c, users)}
<p>${page > 0 ? html`<a href="/admin?page=${page - 1}">Previous page</a> ` : ""}${(page + 1) * PAGE_SIZE < total ? html`<a href="/admin?page=${page + 1}">Next page</a>` : ""}</p>
${createUserForm(c, options.userForm ?? {}, options.userErrors ?? NO_ERRORS)}
${appsSection(c, apps, options.appForm ?? {}, options.appErrors ?? NO_ERRORS)}`,
      options.status ?? 200,
    );
  };

  app.get("/admin", (c) => render(c));

  app.post("/admin/users", async (c) => {
    const form = c.get("form");
    try {
      const role = form.role as UserRole;
      if (!USER_ROLES.includes(role))
        throw fieldError("role", "Role must be administrator, practitioner, patient or auditor.");
      const user = await deps.users.createUser({
        username: form.username ?? "",
        email: form.email ?? "",
        password: form.password ?? "",
        role,
        fhirUser: form.fhirUser?.trim() || null,
      });
      await deps.event(c, { type: "user-created", actor: c.get("user")!, userId: user.id });
      return render(c, { notice: `The ${ROLE_NAMES[user.role].toLowerCase()} account ${user.username} is created.` });
    } catch (error) {
      const { status, errors } = formErrorsOf(error);
      return render(c, { userForm: form, userErrors: errors, status });
    }
  });

  for (const action of ["disable", "enable"] as const) {
    app.post(`/admin/users/:id/${action}`, async (c) => {
      const id = c.req.param("id");
      if (action === "disable" && id === c.get("user")?.userId)
        return render(c, { notice: "You can't disable your own account.", status: 409 });
      try {
        deps.users.setDisabled(id, action === "disable");
      } catch (error) {
        if (error instanceof FhirLedgerError && error.code === "not-found")
          return render(c, { notice: "There is no such account.", status: 404 });
        throw error;
      }
      await deps.event(c, {
        type: action === "disable" ? "user-disabled" : "user-enabled",
        actor: c.get("user")!,
        userId: id,
      });
      return c.redirect(`/admin?notice=${action}d`, 303);
    });
  }

  app.post("/admin/apps", async (c) => {
    const form = c.get("form");
    try {
      const registration = readClientRegistration(form);
      const { clientId, clientSecret } = await deps.clients.register(registration);
      await deps.event(c, { type: "app-registered", actor: c.get("user")!, entity: clientId });
      return render(c, {
        notice: html`The app ${registration.name} is registered. Client id: <code class="secret">${clientId}</code>${
          clientSecret
            ? html`<br>Client secret, shown this once (copy it now): <code class="secret">${clientSecret}</code>`
            : ""
        }`,
      });
    } catch (error) {
      const { status, errors } = formErrorsOf(error);
      return render(c, { appForm: form, appErrors: errors, status });
    }
  });

  app.post("/admin/apps/:id/remove", async (c) => {
    await deps.clients.remove(c.req.param("id"));
    await deps.event(c, { type: "app-removed", actor: c.get("user")!, entity: c.req.param("id") });
    return c.redirect("/admin?notice=removed#apps", 303);
  });
}

/** The register-app form as a ClientRegistration, with the sizes a form may carry capped. */
function readClientRegistration(form: Form): ClientRegistration {
  const invalid = (message: string) => new FhirLedgerError("invalid", message);
  const name = (form.name ?? "").trim();
  if (name === "" || name.length > 100) throw invalid("Name is required, at most 100 characters.");
  const type = form.type as ClientType;
  if (!Object.hasOwn(CLIENT_TYPES, type)) throw invalid("Type must be one of the listed types.");
  const redirectUris = (form.redirectUris ?? "")
    .split(/\r?\n/)
    .map((u) => u.trim())
    .filter((u) => u !== "");
  if (redirectUris.length > MAX_REDIRECT_URIS) throw invalid(`At most ${MAX_REDIRECT_URIS} redirect URIs.`);
  if (redirectUris.some((u) => u.length > 2000)) throw invalid("A redirect URI is longer than 2000 characters.");
  const scope = (form.scope ?? "").trim().replace(/\s+/g, " ");
  if (scope === "" || scope.length > 2000) throw invalid("Scopes are required, at most 2000 characters.");
  const jwksUri = (form.jwksUri ?? "").trim();
  if (jwksUri.length > 2000) throw invalid("The JWKS URL is longer than 2000 characters.");
  return { name, type, redirectUris, scope, ...(jwksUri ? { jwksUri } : {}) };
}

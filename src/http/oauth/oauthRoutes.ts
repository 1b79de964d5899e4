import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Authenticator } from "../../auth/Actor.ts";
import {
  AuthorizeError,
  approvedScopes,
  forUser,
  isFhirId,
  redirectWith,
  validateAuthorizeRequest,
} from "../../auth/oauth/authorizeRequest.ts";
import type { PendingAuthorization } from "../../auth/oauth/authorizeRequest.ts";
import type { AuthorizationServer } from "../../auth/oauth/createAuthorizationServer.ts";
import { OAuthError } from "../../auth/oauth/OAuthError.ts";
import type { PageSession, PatientPicker, RenderPage, SessionUser } from "../../auth/oauth/ports.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { approvalPage, approvalTitle, errorPage, patientPickerPage, patientPickerTitle } from "./authorizePages.ts";
import { readForm, readQuery } from "./readForm.ts";

export interface OAuthRoutesOptions {
  server: AuthorizationServer;
  /** The signed-in browser user and CSRF tokens (accounts part). */
  session: PageSession;
  /** The site layout (accounts part's src/ui/layout.ts). */
  renderPage: RenderPage;
  /** Patient search for a practitioner's standalone launch; without it such a launch is refused. */
  patientPicker?: PatientPicker;
  /** The FHIR API's authenticator, for `POST /auth/launch` by the system client or a practitioner's token. */
  authenticate: Authenticator;
  /** Body size of every OAuth request (default 16 KiB; registration 64 KiB). */
  maxFormBytes?: number;
}

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };
const CORS = { "Access-Control-Allow-Origin": "*" };
/** The authorize pages may not be framed (clickjacking of the Allow button). */
const PAGE_HEADERS = {
  ...NO_STORE,
  "Content-Security-Policy": "frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};
const PENDING_MS = 10 * 60_000;
const PICKER_LIMIT = 20;

function oauthJson(c: Context, error: unknown, extra: Record<string, string> = {}): Response {
  if (error instanceof OAuthError) {
    const headers: Record<string, string> = { ...NO_STORE, ...extra };
    if (error.status === 401)
      headers["WWW-Authenticate"] =
        error.oauthCode === "invalid_token" ? 'Bearer error="invalid_token"' : 'Basic realm="fhirledger"';
    return c.json(error.toJSON(), error.status, headers);
  }
  if (error instanceof FhirLedgerError && error.code === "too-large")
    return c.json({ error: "invalid_request", error_description: error.message }, 413, NO_STORE);
  // Anything else is our fault: say nothing about it.
  return c.json({ error: "server_error" }, 500, NO_STORE);
}

/**
 * The OAuth 2 / SMART App Launch routes: discovery and JWKS, token, introspection, revocation,
 * registration, EHR launch, and the authorize endpoint with its approval and patient-picker
 * pages. Mount it before the FHIR app, so none of the FHIR middleware (JSON negotiation) runs here.
 */
export function oauthRoutes(options: OAuthRoutesOptions): Hono {
  const { server, session, renderPage, patientPicker } = options;
  const maxFormBytes = options.maxFormBytes ?? 16 * 1024;
  const app = new Hono();
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) =>
        c.json(
          { error: "invalid_request", error_description: `the body is larger than ${maxSize} bytes` },
          413,
          NO_STORE,
        ),
    });

  // ---- discovery ----
  const discovery = (body: () => unknown) => (c: Context) =>
    c.json(body(), 200, { ...CORS, "Cache-Control": "public, max-age=300" });
  app.get(
    "/.well-known/smart-configuration",
    discovery(() => server.smartConfiguration()),
  );
  app.get(
    "/.well-known/openid-configuration",
    discovery(() => server.openidConfiguration()),
  );
  app.get(
    "/.well-known/jwks.json",
    discovery(() => server.jwks()),
  );
  for (const path of [
    "/.well-known/smart-configuration",
    "/.well-known/openid-configuration",
    "/.well-known/jwks.json",
    "/auth/token",
  ]) {
    app.options(path, (c) =>
      c.body(null, 204, {
        ...CORS,
        "Access-Control-Allow-Methods": path === "/auth/token" ? "POST" : "GET",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
      }),
    );
  }

  // ---- token, introspection, revocation, registration ----
  app.post("/auth/token", limit(maxFormBytes), async (c) => {
    try {
      const { response } = await server.token(await readForm(c), c.req.header("authorization"));
      // CORS for browser apps (public clients): the response goes to any origin, no cookies are involved.
      return c.json(response, 200, { ...NO_STORE, ...CORS });
    } catch (error) {
      return oauthJson(c, error, CORS);
    }
  });
  app.post("/auth/introspect", limit(maxFormBytes), async (c) => {
    try {
      return c.json(await server.introspect(await readForm(c), c.req.header("authorization")), 200, NO_STORE);
    } catch (error) {
      return oauthJson(c, error);
    }
  });
  app.post("/auth/revoke", limit(maxFormBytes), async (c) => {
    try {
      await server.revoke(await readForm(c), c.req.header("authorization"));
      return c.body(null, 200, NO_STORE);
    } catch (error) {
      return oauthJson(c, error);
    }
  });
  app.post("/auth/register", limit(64 * 1024), async (c) => {
    try {
      let metadata: unknown;
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/json")
        throw new OAuthError("invalid_client_metadata", "the body must be application/json");
      try {
        metadata = JSON.parse(await c.req.text());
      } catch {
        throw new OAuthError("invalid_client_metadata", "the body is not JSON");
      }
      return c.json(await server.registerByRequest(metadata, c.req.header("authorization")), 201, NO_STORE);
    } catch (error) {
      return oauthJson(c, error);
    }
  });

  // ---- EHR launch ----
  app.post("/auth/launch", limit(maxFormBytes), async (c) => {
    try {
      const actor = await options.authenticate(c.req.header("authorization")).catch(() => {
        throw new OAuthError("invalid_token", "a practitioner's or the system client's bearer token is required");
      });
      let body: Record<string, unknown>;
      try {
        body = (await c.req.json()) as Record<string, unknown>;
      } catch {
        throw new OAuthError("invalid_request", "the body is a JSON object {patient, encounter?}");
      }
      const context = {
        patient: body?.patient as string,
        ...(body?.encounter === undefined ? {} : { encounter: body.encounter as string }),
      };
      return c.json({ launch: server.createLaunch(actor, context) }, 201, NO_STORE);
    } catch (error) {
      return oauthJson(c, error);
    }
  });

  // ---- authorize ----
  // The signed-in user is named in the layout's header, as on the other pages (not "Sign in").
  const page = async (c: Context, status: 200 | 400 | 401 | 403, title: string, body: ReturnType<typeof errorPage>) => {
    const user = await session.user(c);
    const viewer = user === undefined ? undefined : { user, csrf: await session.csrfToken(c) };
    return c.html(await renderPage(title, await body, viewer), status, PAGE_HEADERS);
  };
  const refuse = (c: Context, error: unknown) => {
    if (error instanceof AuthorizeError && error.redirectUri !== undefined) {
      const to = redirectWith(error.redirectUri, {
        error: error.oauthCode,
        error_description: error.message,
        state: error.state,
      });
      return c.body(null, c.req.method === "POST" ? 303 : 302, { ...PAGE_HEADERS, Location: to });
    }
    if (error instanceof OAuthError) return page(c, 400, "Sign-in request refused", errorPage(error.message));
    return page(c, 400, "Sign-in request refused", errorPage("the request could not be handled"));
  };
  const showPending = async (c: Context, user: SessionUser, id: string, request: PendingAuthorization) => {
    const csrf = await session.csrfToken(c);
    if (request.needsPatient) {
      if (!patientPicker)
        throw new AuthorizeError(
          "invalid_request",
          "this server cannot pick a patient here; launch the app from the EHR",
          { redirectUri: request.redirectUri, state: request.state },
        );
      const patients = await patientPicker.search(user, "", PICKER_LIMIT);
      return page(c, 200, patientPickerTitle(request), patientPickerPage(request, id, csrf, "", patients));
    }
    const patient =
      request.context.patient === undefined ? undefined : await patientPicker?.get(user, request.context.patient);
    return page(c, 200, approvalTitle(request), approvalPage(request, id, csrf, patient));
  };

  const authorize = async (c: Context, params: Record<string, string>) => {
    const validated = validateAuthorizeRequest(server.context, params);
    const user = await session.user(c);
    if (!user) {
      const next = `/auth/authorize?${new URLSearchParams(params).toString()}`;
      return c.body(null, c.req.method === "POST" ? 303 : 302, {
        ...PAGE_HEADERS,
        Location: `/login?next=${encodeURIComponent(next)}`,
      });
    }
    const request = forUser(validated, user);
    const id = server.context.store.savePending(user.userId, request, PENDING_MS);
    return showPending(c, user, id, request);
  };
  app.get("/auth/authorize", async (c) => {
    try {
      return await authorize(c, readQuery(c));
    } catch (error) {
      return refuse(c, error);
    }
  });
  app.post("/auth/authorize", limit(maxFormBytes), async (c) => {
    try {
      return await authorize(c, await readForm(c));
    } catch (error) {
      return refuse(c, error);
    }
  });

  /** The pending request of a page's form, only for the user who started it. */
  const pendingOf = async (c: Context, id: string | undefined) => {
    const user = await session.user(c);
    if (!user)
      return { failure: page(c, 401, "Signed out", errorPage("you are signed out; start again from the app")) };
    const request =
      id === undefined || id.length > 64
        ? undefined
        : (server.context.store.pending(id, user.userId) as PendingAuthorization | undefined);
    if (!request) return { failure: page(c, 400, "Request expired", errorPage("this request is unknown or expired")) };
    return { user, request, id: id! };
  };

  app.get("/auth/authorize/pick", async (c) => {
    try {
      const params = readQuery(c);
      const found = await pendingOf(c, params.request);
      if ("failure" in found) return await found.failure;
      const query = (params.q ?? "").slice(0, 100);
      const patients = patientPicker ? await patientPicker.search(found.user, query, PICKER_LIMIT) : [];
      return page(
        c,
        200,
        patientPickerTitle(found.request),
        patientPickerPage(found.request, found.id, await session.csrfToken(c), query, patients),
      );
    } catch (error) {
      return refuse(c, error);
    }
  });

  app.post("/auth/authorize/decision", limit(maxFormBytes), async (c) => {
    try {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/x-www-form-urlencoded")
        throw new OAuthError("invalid_request", "the form was not sent as a form");
      // Ticked scopes repeat the "scope" name, so this form is read without the no-repeat rule.
      const form = new URLSearchParams(await c.req.text());
      if ([...form.keys()].length > 100) throw new OAuthError("invalid_request", "too many form fields");
      const found = await pendingOf(c, form.get("request") ?? undefined);
      if ("failure" in found) return await found.failure;
      if (!(await session.checkCsrf(c, form.get("csrf") ?? undefined)))
        return page(c, 403, "Refused", errorPage("the form's security token is missing or stale; reload the page"));
      const { user, request, id } = found;
      const action = form.get("action");
      const store = server.context.store;
      if (action === "deny") {
        store.deletePending(id);
        throw new AuthorizeError("access_denied", "the user denied access", {
          redirectUri: request.redirectUri,
          state: request.state,
        });
      }
      if (action === "pick") {
        const chosen = form.get("patient");
        const patient = isFhirId(chosen) && patientPicker ? await patientPicker.get(user, chosen) : undefined;
        if (!patient) return page(c, 400, "Choose a patient", errorPage("that patient cannot be chosen"));
        const next: PendingAuthorization = {
          ...request,
          context: { ...request.context, patient: patient.id },
          needsPatient: false,
        };
        store.updatePending(id, next);
        return showPending(c, user, id, next);
      }
      if (action !== "approve") throw new OAuthError("invalid_request", "the form's action is approve, deny or pick");
      if (request.needsPatient) return showPending(c, user, id, request);
      const scopes = approvedScopes(request, form.getAll("scope"));
      if (scopes.length === 0)
        throw new AuthorizeError("access_denied", "no scope was approved", {
          redirectUri: request.redirectUri,
          state: request.state,
        });
      const code = store.saveCode(
        {
          clientId: request.clientId,
          redirectUri: request.redirectUri,
          codeChallenge: request.codeChallenge,
          scopes,
          user: {
            userId: user.userId,
            role: user.role,
            ...(user.fhirUser === undefined ? {} : { fhirUser: user.fhirUser }),
          },
          context: request.context,
          ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
        },
        server.context.lifetimes.code * 1000,
      );
      store.deletePending(id);
      const to = redirectWith(request.redirectUri, { code, state: request.state, iss: server.context.issuer });
      return c.body(null, 303, { ...PAGE_HEADERS, Location: to });
    } catch (error) {
      return refuse(c, error);
    }
  });

  return app;
}

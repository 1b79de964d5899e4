import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { isUiRequest } from "../../src/ui/uiRoutes.ts";
import { Browser, GOOD_PASSWORD, signIn, uiTestServer } from "./uiTestServer.ts";

/** The wiring the server does: one front app that hands page requests to the pages and the rest to the FHIR app. */
type Fetch = { fetch(request: Request, env?: unknown): Response | Promise<Response> };

function front(ui: Fetch, fhir: Fetch) {
  const app = new Hono();
  app.all("*", (c) =>
    (isUiRequest(c.req.method, c.req.path, c.req.header("accept")) ? ui : fhir).fetch(c.req.raw, c.env),
  );
  return app;
}

describe("pages beside the FHIR API", () => {
  it("a browser gets the home page at /, FHIR clients the API; pages and their forms work through the front app", async () => {
    const server = uiTestServer();
    await server.users.createUser({ username: "root1", password: GOOD_PASSWORD, role: "admin" });
    const fhir = new Hono();
    fhir.all("*", (c) => c.json({ resourceType: "OperationOutcome", path: c.req.path }, 404));
    const app = front(server.app, fhir);

    const page = await app.request("/", { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const api = await app.request("/", { headers: { accept: "application/fhir+json" } });
    expect(await api.json()).toMatchObject({ resourceType: "OperationOutcome" });
    expect(await (await app.request("/Patient/1")).json()).toMatchObject({ path: "/Patient/1" });

    const browser = new Browser(app, server.origin);
    await signIn(browser, "root1");
    expect((await browser.get("/admin")).res.status).toBe(200);
  });
});

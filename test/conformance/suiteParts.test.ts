import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConformanceConfig, withDefaults } from "../../conformance/config.ts";
import { FormDriver, ManualDriver } from "../../conformance/drivers.ts";
import { hiddenFields, parseForms } from "../../conformance/html.ts";
import { Recorder, junitXml, skip } from "../../conformance/report.ts";

describe("parseForms", () => {
  it("reads each form's action, method, hidden fields (entities decoded), boxes and buttons", () => {
    const forms = parseForms(`<form method="get" action="/pick"><input name="q"></form>
      <form method="post" action="/auth/authorize/decision">
        <input type="hidden" name="csrf" value="a&amp;b&quot;c">
        <input type="checkbox" name="scope" value="patient/Observation.rs?category=x|lab" checked />
        <input type="checkbox" name="scope" value="openid">
        <button type="submit" name="action" value="approve">Allow</button>
      </form>`);
    expect(forms).toHaveLength(2);
    expect(forms[0]).toMatchObject({ action: "/pick", method: "get" });
    const post = forms[1]!;
    expect(post.method).toBe("post");
    expect(hiddenFields(post)).toEqual([["csrf", 'a&b"c']]);
    expect(post.inputs.filter((i) => i.type === "checkbox").map((i) => [i.value, i.checked])).toEqual([
      ["patient/Observation.rs?category=x|lab", true],
      ["openid", false],
    ]);
    expect(post.inputs.find((i) => i.name === "action")).toMatchObject({ tag: "button", value: "approve" });
  });

  it("reads at most 20 forms of at most 500 fields (a hostile page cannot make it loop)", () => {
    const page = `<form>${'<input name="x">'.repeat(600)}</form>`.repeat(30);
    const forms = parseForms(page);
    expect(forms).toHaveLength(20);
    expect(forms[0]!.inputs).toHaveLength(500);
  });
});

describe("Recorder and the JUnit report", () => {
  it("records pass, fail (with the message) and skip (with the reason); the XML escapes them", async () => {
    const seen: string[] = [];
    const rec = new Recorder((r) => seen.push(r.status));
    expect(await rec.check("g-a", "passes", () => {})).toBe(true);
    expect(await rec.check("g-b", "fails", () => Promise.reject(new Error('got <html> & "quotes"')))).toBe(false);
    await rec.check("h-c", "skips", () => skip("cannot apply"));
    expect(seen).toEqual(["pass", "fail", "skip"]);
    const xml = junitXml(rec.results);
    expect(xml).toMatch(/<testsuites [^>]*tests="3" failures="1" skipped="1"/);
    expect(xml).toContain(`<testsuite name="g" tests="2" failures="1" skipped="0"`);
    expect(xml).toContain(`<failure message="got &lt;html&gt; &amp; &quot;quotes&quot;">`);
    expect(xml).toContain(`<skipped message="cannot apply"/>`);
  });
});

describe("config", () => {
  it("needs an http(s) base URL and fills the defaults; timeouts are bounded", () => {
    expect(() => withDefaults({})).toThrow(/--base/);
    expect(() => withDefaults({ fhirBaseUrl: "ftp://x" })).toThrow(/--base/);
    const config = withDefaults({ fhirBaseUrl: "http://h/fhir/", manualTimeoutSeconds: 1e9, requestTimeoutMs: 1 });
    expect(config.fhirBaseUrl).toBe("http://h/fhir");
    expect(config.manualTimeoutSeconds).toBe(3600);
    expect(config.requestTimeoutMs).toBe(100);
    expect(config.scopes.standalone).toContain("launch/patient");
  });

  it("refuses a config file that is not JSON or larger than 256 KiB; --base wins over the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conformance-config-"));
    try {
      await writeFile(join(dir, "bad.json"), "{nope");
      await expect(loadConformanceConfig(join(dir, "bad.json"), "http://h")).rejects.toThrow(/not valid JSON/);
      await writeFile(join(dir, "big.json"), `"${"x".repeat(300 * 1024)}"`);
      await expect(loadConformanceConfig(join(dir, "big.json"), "http://h")).rejects.toThrow(/larger than/);
      await writeFile(join(dir, "ok.json"), JSON.stringify({ fhirBaseUrl: "http://file", patientId: "p" }));
      expect(await loadConformanceConfig(join(dir, "ok.json"), "http://cli")).toMatchObject({
        fhirBaseUrl: "http://cli",
        patientId: "p",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function serve(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("FormDriver", () => {
  const user = { username: "u", password: "p" };

  it("gives up after 20 redirects that never reach the redirect URI", async () => {
    let hits = 0;
    const site = await serve((_req, res) => {
      hits++;
      res.writeHead(302, { location: "/again" }).end();
    });
    try {
      const driver = new FormDriver({ patientUser: user, redirectUri: "http://127.0.0.1:1/cb", timeoutMs: 5000 });
      const outcome = await driver.authorize(`${site.origin}/start`, { user: "patient" });
      expect(outcome.stopped).toMatch(/more than 20 steps/);
      expect(hits).toBe(20);
    } finally {
      await site.close();
    }
  });

  it("reports a refused sign-in instead of posting the password again", async () => {
    let posts = 0;
    const site = await serve((req, res) => {
      if (req.method === "POST") posts++;
      res
        .writeHead(req.method === "POST" ? 401 : 200, { "content-type": "text/html" })
        .end(`<form method="post" action="/login"><input type="hidden" name="_csrf" value="t">
          <input name="username"><input type="password" name="password"></form>`);
    });
    try {
      const driver = new FormDriver({ patientUser: user, redirectUri: "http://127.0.0.1:1/cb", timeoutMs: 5000 });
      const outcome = await driver.authorize(`${site.origin}/login`, { user: "patient" });
      expect(outcome.stopped).toMatch(/sign-in refused \(HTTP 401\)/);
      expect(posts).toBe(1);
      expect(await driver.authorize(`${site.origin}/x`, { user: "practitioner" })).toEqual({
        stopped: "no practitioner credentials in the config",
      });
    } finally {
      await site.close();
    }
  });
});

describe("FormDriver cookies", () => {
  it("sends a cookie back only to the origin that set it (an app's redirect never sees the server's session)", async () => {
    const seen: (string | undefined)[] = [];
    const other = await serve((req, res) => {
      seen.push(req.headers.cookie);
      res.writeHead(302, { location: "http://127.0.0.1:1/cb?code=c" }).end();
    });
    const site = await serve((req, res) => {
      if (req.url === "/start")
        res.writeHead(302, { location: "/next", "set-cookie": "session=s3cret; HttpOnly" }).end();
      else {
        seen.push(req.headers.cookie);
        res.writeHead(302, { location: `${other.origin}/elsewhere` }).end();
      }
    });
    try {
      const driver = new FormDriver({
        patientUser: { username: "u", password: "p" },
        redirectUri: "http://127.0.0.1:1/cb",
        timeoutMs: 5000,
      });
      const outcome = await driver.authorize(`${site.origin}/start`, { user: "patient" });
      expect(outcome.redirect?.searchParams.get("code")).toBe("c");
      expect(seen).toEqual(["session=s3cret", undefined]);
    } finally {
      await site.close();
      await other.close();
    }
  });
});

describe("ManualDriver", () => {
  it("prints the authorize URL and returns the redirect the browser brings to the local listener", async () => {
    const lines: string[] = [];
    const port = await freePort();
    const driver = new ManualDriver({
      redirectUri: `http://127.0.0.1:${port}/cb`,
      timeoutSeconds: 10,
      print: (line) => lines.push(line),
    });
    const pending = driver.authorize("https://ehr.example/authorize?x=1", { user: "patient" });
    await waitFor(() => lines.some((l) => l.includes("https://ehr.example/authorize?x=1")));
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/cb?code=abc&state=s`)).status).toBe(200);
    const outcome = await pending;
    expect(outcome.redirect?.searchParams.get("code")).toBe("abc");
  });

  it("stops waiting after its timeout, and listens only on loopback http", async () => {
    const driver = new ManualDriver({
      redirectUri: `http://127.0.0.1:${await freePort()}/cb`,
      timeoutSeconds: 1,
      print: () => {},
    });
    expect(await driver.authorize("https://ehr.example/a", { user: "patient" })).toEqual({
      stopped: "no redirect arrived in time",
    });
    expect(
      () => new ManualDriver({ redirectUri: "https://app.example/cb", timeoutSeconds: 1, print: () => {} }),
    ).toThrow(/127\.0\.0\.1 or http:\/\/localhost/);
  });
});

async function freePort(): Promise<number> {
  const site = await serve((_req, res) => res.end());
  const port = Number(new URL(site.origin).port);
  await site.close();
  return port;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(condition()).toBe(true);
}

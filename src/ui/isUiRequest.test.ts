import { describe, expect, it } from "vitest";
import { isUiRequest } from "./uiRoutes.ts";

const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

describe("isUiRequest", () => {
  it("sends page paths to the pages whatever the method", () => {
    for (const path of [
      "/login",
      "/logout",
      "/register",
      "/activate",
      "/admin",
      "/admin/users",
      "/admin/users/1/disable",
      "/activation-codes",
      "/apps",
      "/apps/g1/revoke",
      "/account",
      "/account/password",
    ])
      expect(isUiRequest("POST", path, undefined), path).toBe(true);
  });

  it("leaves FHIR paths to the API, and / to it unless a browser asks for HTML", () => {
    for (const path of ["/Patient", "/metadata", "/Patient/1", "/_history", "/administration", "/apps2"])
      expect(isUiRequest("GET", path, BROWSER), path).toBe(false);
    expect(isUiRequest("GET", "/", BROWSER)).toBe(true);
    expect(isUiRequest("HEAD", "/", "text/html")).toBe(true);
    expect(isUiRequest("GET", "/", "application/fhir+json")).toBe(false);
    expect(isUiRequest("GET", "/", undefined)).toBe(false);
    expect(isUiRequest("POST", "/", BROWSER)).toBe(false); // a transaction or batch Bundle
  });
});

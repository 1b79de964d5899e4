import { describe, expect, it } from "vitest";
import { allowedMethods } from "./allowedMethods.ts";

describe("allowedMethods", () => {
  it.each([
    ["/", ["GET", "HEAD", "POST"]],
    ["/metadata", ["GET", "HEAD"]],
    ["/_history", ["GET", "HEAD"]],
    ["/_search", ["POST"]],
    ["/Patient", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]],
    ["/Patient/_search", ["POST"]],
    ["/Patient/_history", ["GET", "HEAD"]],
    ["/Observation/$validate", ["POST"]],
    ["/Patient/$everything", ["GET", "HEAD", "POST"]],
    ["/Patient/s-p1", ["GET", "HEAD", "PUT", "PATCH", "DELETE"]],
    ["/Patient/s-p1/_history", ["GET", "HEAD"]],
    ["/Patient/s-p1/_history/2", ["GET", "HEAD"]],
    ["/Patient/s-p1/_history/2/$verify", ["GET", "HEAD", "POST"]],
    ["/Observation/o1/$verify", ["GET", "HEAD", "POST"]],
    ["/Observation/o1/$validate", ["POST"]],
    ["/Patient/s-p1/$everything", ["GET", "HEAD", "POST"]],
    ["/Patient/s-p1/$erase", ["POST"]],
    // AuditEvent is read-only over REST
    ["/AuditEvent", ["GET", "HEAD"]],
    ["/AuditEvent/a1", ["GET", "HEAD"]],
    ["/AuditEvent/_search", ["POST"]],
    ["/AuditEvent/$validate", ["POST"]],
    ["/AuditEvent/a1/$verify", ["GET", "HEAD", "POST"]],
  ])("%s answers %j", (path, methods) => {
    expect(allowedMethods(path)?.methods).toEqual(methods);
  });

  it("says why AuditEvent takes no writes", () => {
    expect(allowedMethods("/AuditEvent/a1")?.hint).toMatch(/AuditEvents are written by the server only/);
    expect(allowedMethods("/Patient/p1")?.hint).toBeUndefined();
  });

  it.each([
    "/NoSuchType",
    "/NoSuchType/x",
    "/Patient/",
    "/Patient/has space",
    "/Patient/$frobnicate",
    "/Observation/$everything",
    "/Observation/o1/$everything",
    "/Observation/o1/$erase",
    "/Patient/p/_history/1/x",
    "/Patient/p/a/b/c/d/e",
    "/favicon.ico/x",
  ])("%s is no route (404, not 405)", (path) => {
    expect(allowedMethods(path)).toBeUndefined();
  });

  it("hints how to call an operation that takes a body", () => {
    expect(allowedMethods("/Patient/$validate")?.hint).toMatch(/POST \[type\]\/\$validate/);
  });
});

import { describe, expect, it } from "vitest";
import { acceptsJson, formatAcceptsJson } from "./responses.ts";

describe("acceptsJson (Accept)", () => {
  it.each([
    "application/fhir+json",
    "application/json",
    "*/*",
    "application/*",
    "application/fhir+json; fhirVersion=4.0",
    "application/fhir+json;fhirVersion=4.0.1; charset=utf-8",
    "text/html, application/json;q=0.9",
  ])("admits %s", (accept) => {
    expect(acceptsJson(accept)).toBe(true);
  });
  it.each([
    "application/fhir+xml",
    "text/turtle",
    "application/fhir+json; fhirVersion=3.0",
    "application/fhir+json; fhirVersion=5.0",
    "application/fhir json",
  ])("refuses %s", (accept) => {
    expect(acceptsJson(accept)).toBe(false);
  });
});

describe("formatAcceptsJson (_format, + decoded to a space)", () => {
  it.each([
    "json",
    "application/json",
    "application/fhir+json",
    "application/fhir json",
    "application/json fhir",
    " application/fhir json ",
    "application/fhir json; fhirVersion=4.0",
  ])("admits %j", (format) => {
    expect(formatAcceptsJson(format)).toBe(true);
  });
  it.each([
    "xml",
    "application/fhir xml",
    "application/fhir+xml",
    "text/turtle",
    "ttl",
    "application/fhir json; fhirVersion=3.0",
  ])("refuses %j", (format) => {
    expect(formatAcceptsJson(format)).toBe(false);
  });
});

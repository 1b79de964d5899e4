import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { parseJsonBody } from "./parseJsonBody.ts";
import { stringifyJson } from "./preciseJson.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function rejection(body: Uint8Array): FhirLedgerError {
  try {
    parseJsonBody(body);
  } catch (error) {
    expect(error).toBeInstanceOf(FhirLedgerError);
    expect((error as FhirLedgerError).code).toBe("invalid");
    return error as FhirLedgerError;
  }
  throw new Error("accepted");
}

describe("parseJsonBody", () => {
  it("parses UTF-8 JSON and keeps number texts, a U+FFFD the body really holds and a BOM-less text", () => {
    const text = '{"resourceType":"Patient","name":[{"family":"Müller \uFFFD 😀"}],"x":1.50}';
    const value = parseJsonBody(bytes(text));
    expect(stringifyJson(value)).toBe(text);
  });

  it("rejects bytes that are not UTF-8, naming the byte and the element", () => {
    const head = bytes('{"resourceType":"Patient","name":[{"family":"M');
    const body = new Uint8Array([...head, 0xff, ...bytes('ller"}]}')]);
    const error = rejection(body);
    expect(error.message).toContain(`byte ${head.length}`);
    expect(error.issues[0]?.expression).toEqual(["Patient.name[0].family"]);
    // a truncated sequence, an overlong encoding and an encoded surrogate
    for (const bad of [[0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      expect(rejection(new Uint8Array([...bytes('{"a":"'), ...bad, ...bytes('"}')])).message).toContain("byte 6");
    }
  });

  it("rejects a member name written twice, naming the element", () => {
    const error = rejection(bytes('{"resourceType":"Patient","name":[{"family":"a","family":"b"}]}'));
    expect(error.issues).toEqual([
      expect.objectContaining({ type: "structure", expression: ["Patient.name[0].family"] }),
    ]);
    const inBundle = rejection(
      bytes(
        '{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","id":"a","id":"b"}}]}',
      ),
    );
    expect(inBundle.issues[0]?.expression).toEqual(["Bundle.entry[0].resource.id"]);
    expect(rejection(bytes('{"a":1,"a":1}')).issues[0]?.expression).toEqual(["$.a"]);
  });

  it("rejects empty bodies and invalid JSON as before", () => {
    expect(rejection(bytes(" \n")).message).toBe("the body is empty");
    expect(rejection(bytes('{"a":')).message).toMatch(/^the body is not valid JSON/);
  });
});

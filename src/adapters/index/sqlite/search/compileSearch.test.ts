import { describe, expect, it } from "vitest";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { generateQueries, withDriver } from "./testSupport/generateQueries.ts";
import { Oracle } from "./testSupport/oracle.ts";
import { createTestDb, runSearch } from "./testSupport/testDb.ts";

const NOW = Date.UTC(2026, 10, 26, 3, 0);
const db = createTestDb(fixtures);
const oracle = new Oracle(fixtures, NOW);

/** Hand-picked queries: chains, reverse chains, OR/AND, composites, common parameters, sorting. */
const handPicked: [string, string][] = [
  ["Observation", "subject:Patient.name=peter"],
  ["Observation", "subject.name=chalmers"],
  ["Observation", "subject:Patient.gender=female,male"],
  ["Observation", "patient.organization.name=acme"],
  ["Observation", "subject:Patient.general-practitioner:Practitioner.name=smith"],
  ["Observation", "encounter.participant.family=o'brien"],
  ["Observation", "performer:Practitioner.name=contained"],
  ["Encounter", "subject.birthdate=1974"],
  ["Encounter", "subject.birthdate=ge1980"],
  ["Patient", "_has:Observation:subject:code=29463-7"],
  ["Patient", "_has:Observation:patient:code=http://loinc.org|85354-9"],
  ["Patient", "_has:Condition:subject:clinical-status=active"],
  ["Organization", "_has:Patient:organization:_has:Observation:subject:code=29463-7"],
  ["Organization", "_has:Patient:organization:_has:Observation:subject:status=amended"],
  ["Practitioner", "_has:Encounter:participant:subject.name=müller"],
  ["Organization", "_has:Patient:organization:gender=male"],
  ["Observation", "code=29463-7,8310-5"],
  ["Observation", "code=29463-7&date=ge2021"],
  ["Observation", "code=29463-7&code=http://loinc.org|29463-7"],
  ["Observation", "value-quantity=gt70,lt1&status=final"],
  ["Observation", "date=ge2020&date=lt2022"],
  ["Observation", "code-value-quantity=http://loinc.org|29463-7$gt100"],
  ["Observation", "code-value-quantity=29463-7$lt100"],
  ["Observation", "component-code-value-quantity=http://loinc.org|8480-6$120"],
  ["Observation", "component-code-value-quantity=http://loinc.org|8480-6$80"],
  ["Observation", "component-code-value-quantity=8462-4$ge80|http://unitsofmeasure.org|mm[Hg]"],
  ["Observation", "code-value-concept=365980008$http://snomed.info/sct|8517006"],
  ["Observation", "combo-code-value-quantity=8480-6$gt100"],
  ["Patient", "_id=p1,p3"],
  ["Patient", "_id:not=p1"],
  ["Patient", "_lastUpdated=gt2026-11-20T08:05:00Z"],
  ["Patient", "_lastUpdated=2026-11-20"],
  ["Patient", "_lastUpdated=le2026-11-20T08:06Z"],
  ["Patient", "_tag=http://example.org/tags|vip"],
  ["Patient", "_tag=test,vip"],
  ["Patient", "_tag:not=vip"],
  ["Patient", "_tag:text=very"],
  ["Patient", "_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"],
  ["Patient", "_security=R"],
  ["Patient", "name=chal&name:exact=Peter"],
  ["Patient", "name=zoe"],
  ["Patient", "name=ZOË"],
  ["Patient", "address=münchen,zurich"],
  ["Patient", "family:contains=ALM"],
  ["Patient", "phone=(03) 5555 6473"],
  ["Patient", "email=peter@example.org"],
  ["Patient", "telecom=phone|555-0100"],
  ["Patient", "identifier=urn:mrn|"],
  ["Patient", "identifier:text=medical"],
  ["Patient", "deceased=true"],
  ["Patient", "deceased=false"],
  ["Patient", "death-date=2020"],
  ["Patient", "active=true"],
  ["Patient", "active:not=true"],
  ["Patient", "link=p1"],
  ["Patient", "_sort=birthdate"],
  ["Patient", "_sort=-birthdate"],
  ["Patient", "_sort=family,-_id"],
  ["Patient", "_sort=-family"],
  ["Patient", "_sort=gender,name"],
  ["Patient", "_sort=-_lastUpdated"],
  ["Observation", "_sort=-date,code"],
  ["Observation", "_sort=value-quantity"],
  ["Observation", "_sort=-value-quantity&status=final"],
  ["Observation", "_sort=subject,_id"],
  ["RiskAssessment", "probability=0.25"],
  ["RiskAssessment", "probability=gt0.5"],
  ["RiskAssessment", "probability=1e2"],
  ["RiskAssessment", "probability=ap95"],
  ["RiskAssessment", "_sort=-probability"],
  ["ValueSet", "url:below=http://example.org/fhir"],
  ["ValueSet", "url:above=http://example.org/fhir/ValueSet/colors/dark/deeper"],
  ["ValueSet", "url=http://example.org/fhir/ValueSet/colors"],
  ["QuestionnaireResponse", "questionnaire=http://example.org/fhir/Questionnaire/phq9"],
  ["QuestionnaireResponse", "questionnaire=http://example.org/fhir/Questionnaire/phq9|2.0"],
  ["MedicationRequest", "date=2015-07-02"],
  ["MedicationRequest", "date=ge2015-07-03"],
  ["MedicationRequest", "code=860975&intent=order"],
  ["Claim", "patient.identifier=MRN-001"],
  ["Condition", "onset-date=le2015-06-15"],
  ["Condition", "onset-date=2020-01"],
  ["Condition", "onset-age=40"],
  ["Condition", "abatement-date=gt2020-01-19"],
  ["Condition", "code:text=type 2"],
  ["Encounter", "length=30|http://unitsofmeasure.org|min"],
  ["Encounter", "length=0.5|http://unitsofmeasure.org|h"],
  ["Encounter", "length=1800|http://unitsofmeasure.org|s"],
  ["Observation", "value-quantity=72.5|http://unitsofmeasure.org|kg"],
  ["Observation", "value-quantity=ge72|http://unitsofmeasure.org|kg"],
  ["Observation", "value-quantity=ap72000|http://unitsofmeasure.org|g"],
  ["Observation", "value-quantity=lt160|http://unitsofmeasure.org|[lb_av]"],
  ["Observation", "value-quantity=37|http://unitsofmeasure.org|Cel"],
  ["Observation", "component-value-quantity=gt15|http://unitsofmeasure.org|kPa"],
  ["Observation", "value-quantity=72||kg"],
  ["Encounter", "date=ge2021-01-10"],
  ["Encounter", "date=2021"],
  ["Encounter", "date=ap2020-03-01"],
  ["Encounter", "class=AMB"],
  ["Observation", "subject=Patient/p1,Patient/p2"],
  ["Observation", "subject=http://other.example.org/fhir/Patient/ext1"],
  ["Observation", "subject:identifier=urn:mrn|MRN-002"],
  ["Observation", "value-string=never"],
  ["Observation", "value-string:contains=EVEN ONCE"],
  ["Observation", "value-concept=8517006"],
  ["Observation", "value-concept:text=former"],
  ["Observation", "date=eb2020&_sort=date"],
  ["Observation", "date=sa2021-01-11"],
  ["Observation", "date=ne2021-07"],
  ["Observation", "date=ap2021-07-15"],
  ["Organization", "partof:missing=false"],
  ["Organization", "name=um"],
];

const generated = generateQueries(fixtures, oracle);
const queries: [string, string][] = [...generated, ...withDriver(fixtures, generated), ...handPicked];

describe("compileSearch against the FHIRPath oracle", () => {
  it("covers enough queries, with both empty and non-empty results", () => {
    let nonEmpty = 0;
    for (const [type, query] of queries) {
      if (oracle.search(parseSearchRequest(type, new URLSearchParams(query))).length > 0) nonEmpty++;
    }
    console.log(`oracle queries: ${queries.length}, with results: ${nonEmpty}`);
    expect(queries.length).toBeGreaterThan(500);
    expect(nonEmpty).toBeGreaterThan(queries.length / 3);
  });

  it.each(queries)("%s?%s", (type, query) => {
    const request = parseSearchRequest(type, new URLSearchParams(query));
    expect(request.unknown).toEqual([]);
    const expected = oracle.search(request);
    const { ids, total } = runSearch(db, type, query, { now: NOW });
    expect(ids).toEqual(expected);
    expect(total).toBe(expected.length);
  });
});

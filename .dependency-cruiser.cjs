/**
 * The layers of docs/ARCHITECTURE.md as import rules (run by `npm run lint`, part of
 * `npm test`). Violations that predate a rule are listed in .dependency-cruiser-known-violations.json
 * and may only shrink: a new one fails the run.
 */
const TEST = ["\\.test\\.ts$", "/testSupport/"];

module.exports = {
  forbidden: [
    {
      name: "fhir-is-transport-and-storage-free",
      comment: "The FHIR engine imports no HTTP framework, chain client, IPFS library or adapter.",
      severity: "error",
      from: { path: "^src/fhir/", pathNot: TEST },
      to: { path: ["^src/adapters/", "^src/http/", "^src/server/", "^src/cli/", "node_modules/(hono|@hono|ethers|helia|@helia|kubo-rpc-client|blockstore-fs|datastore-fs)/"] },
    },
    {
      name: "ports-are-interfaces-only",
      comment: "Ports import nothing from the FHIR engine or from adapters.",
      severity: "error",
      from: { path: "^src/ports/", pathNot: TEST },
      to: { path: ["^src/fhir/", "^src/adapters/", "^src/records/", "^src/http/", "^src/server/"] },
    },
    {
      name: "http-reaches-the-engine-only",
      comment: "The HTTP edge talks to the engine entry, never to records, ports or adapters.",
      severity: "error",
      from: { path: "^src/http/", pathNot: TEST },
      to: { path: ["^src/adapters/", "^src/records/", "^src/ports/", "^src/server/", "^src/cli/", "node_modules/(ethers|helia|@helia|kubo-rpc-client)/"] },
    },
    {
      name: "adapters-do-not-reach-up",
      comment: "Adapters implement ports; they never import the HTTP edge, the server wiring or the CLI.",
      severity: "error",
      from: { path: "^src/adapters/", pathNot: TEST },
      to: { path: ["^src/http/", "^src/server/", "^src/cli/"] },
    },
    {
      name: "no-test-code-in-production",
      severity: "error",
      from: { path: "^src/", pathNot: TEST },
      to: { path: ["\\.test\\.ts$", "/testSupport/", "^test/"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".js", ".json"] },
  },
};

// Machines ship Node 20 while the project runs on the pinned Node 24 (devDependency `node`).
// When npm itself ran on Node < 22, optional packages that need Node >= 22 (Hardhat's EDR)
// were skipped. Re-run the install once: inside npm scripts node_modules/.bin comes first on
// PATH, so the nested npm runs on the pinned Node and installs them.
import { spawnSync } from "node:child_process";

const agent = process.env.npm_config_user_agent ?? "";
const match = /node\/v(\d+)/.exec(agent);
const npmNodeMajor = match ? Number(match[1]) : Number(process.versions.node.split(".")[0]);

if (npmNodeMajor < 22 && !process.env.FHIRLEDGER_NESTED_INSTALL) {
  console.log(
    `postinstall: npm ran on Node ${npmNodeMajor}; re-installing on the pinned Node so Node>=22 optional packages are present`,
  );
  const result = spawnSync("npm", ["install", "--no-audit", "--no-fund"], {
    stdio: "inherit",
    env: { ...process.env, FHIRLEDGER_NESTED_INSTALL: "1" },
  });
  process.exit(result.status ?? 1);
}

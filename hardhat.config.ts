import { createRequire } from "node:module";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import type { HardhatUserConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
// Hardhat cannot download compilers here: use the solc npm package's soljson.js.
// `version` must equal the installed solc package version (pinned in package.json).
const solcVersion: string = require("solc/package.json").version;

const config: HardhatUserConfig = {
  plugins: [hardhatEthers],
  solidity: {
    version: solcVersion,
    path: require.resolve("solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" },
  },
  paths: { sources: "./contracts", tests: "./test/contracts" },
};

export default config;

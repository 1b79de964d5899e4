import { isIPv4 } from "node:net";
import { computeAddress, getAddress } from "ethers";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { redactUrl } from "../../verify/redactUrl.ts";

/**
 * The accounts anvil and Hardhat create by default, from the mnemonic "test test test test test
 * test test test test test test junk" (m/44'/60'/0'/0/i; Hardhat makes 20, anvil the first 10).
 * Their private keys are printed by both tools and in their documentation: whoever holds one of
 * these addresses' roles on a chain anyone else can reach has given that role to everybody.
 * test/adapters/devAccounts.test.ts derives the list from the mnemonic.
 */
export const DEV_ACCOUNT_ADDRESSES: readonly string[] = [
  "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
  "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
  "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
  "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
  "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
  "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
  "0xBcd4042DE499D14e55001CcbB24a551F3b954096",
  "0x71bE63f3384f5fb98995898A86B02Fb2426c5788",
  "0xFABB0ac9d68B0B445fB7357272Ff202C5651694a",
  "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec",
  "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097",
  "0xcd3B766CCDd6AE721141F452C550Ca635964ce71",
  "0x2546BcD3c84621e976D8185a91A922aE77ECEc30",
  "0xbDA5747bFD65F08deb54cb465eB87D40e51B197E",
  "0xdD2FD4581271e230360230F9337D5c0430Bf44C0",
  "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199",
];

/** Index of `address` among the development accounts; -1 when it is not one (or not an address). */
export function devAccountIndex(address: string): number {
  let normalized: string;
  try {
    normalized = getAddress(address);
  } catch {
    return -1;
  }
  return DEV_ACCOUNT_ADDRESSES.indexOf(normalized);
}

/** Index of the account of `privateKey` among the development accounts; -1 when it is not one. */
export function devKeyIndex(privateKey: string): number {
  try {
    return devAccountIndex(computeAddress(privateKey.startsWith("0x") ? privateKey : `0x${privateKey}`));
  } catch {
    return -1;
  }
}

/** True when `url` names this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost") || host === "[::1]") return true;
  return isIPv4(host) && host.startsWith("127.");
}

/**
 * Refuses a development account's key, or a role for a development account, on a chain that is
 * not on this machine: on anything reachable from elsewhere it would let anyone act as the server.
 * @throws FhirLedgerError "invalid" naming the account (never the key).
 */
export function refuseDevAccountOffLoopback(
  rpcUrl: string,
  account: { privateKey: string; role: string } | { address: string; role: string },
): void {
  if (isLoopbackUrl(rpcUrl)) return;
  const index = "privateKey" in account ? devKeyIndex(account.privateKey) : devAccountIndex(account.address);
  if (index === -1) return;
  const what = "privateKey" in account ? `the ${account.role} key is` : `the ${account.role} would be`;
  throw new FhirLedgerError(
    "invalid",
    `${what} anvil/Hardhat development account #${index} (${DEV_ACCOUNT_ADDRESSES[index]}), whose private key is public; ` +
      `it is refused for ${redactUrl(rpcUrl)}, which is not a loopback address: use a key of your own`,
  );
}

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { type Accounts, openAccounts } from "../../../accounts/openAccounts.ts";
import { FAST_SCRYPT } from "../../../accounts/testSupport/fastScrypt.ts";
import { CookiePageSession } from "../../../ui/CookiePageSession.ts";
import { walletRoutes } from "../../../ui/pages/wallet.ts";
import type { WalletConsents } from "../WalletConsents.ts";

export const PASSWORD = "violet tractor harbour 42";

/** The /wallet routes over a real HTTP listener, with a patient and a practitioner account and a way to sign them in. */
export interface WalletPageServer {
  base: string;
  accounts: Accounts;
  session: CookiePageSession;
  app: ReturnType<typeof walletRoutes>;
  patientId: string;
  practitionerId: string;
  /** A live session id for the account (the cookie value). */
  sessionFor(userId: string): string;
  close(): Promise<void>;
}

export async function startWalletPageServer(
  wallet: WalletConsents,
  patient = "Patient/mary",
): Promise<WalletPageServer> {
  const accounts = openAccounts(":memory:", { scrypt: FAST_SCRYPT });
  const mary = await accounts.users.createUser({
    username: "mary.s",
    email: "mary@example.org",
    password: PASSWORD,
    role: "patient",
    fhirUser: patient,
  });
  const doc = await accounts.users.createUser({
    username: "doc.who",
    email: "doc@example.org",
    password: PASSWORD,
    role: "practitioner",
    fhirUser: "Practitioner/doc",
  });
  const session = new CookiePageSession({ users: accounts.users, sessions: accounts.sessions, secure: false });
  const app = walletRoutes({ session, wallet });
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    accounts,
    session,
    app,
    patientId: mary.id,
    practitionerId: doc.id,
    sessionFor: (userId) => accounts.sessions.create(userId),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      accounts.close();
    },
  };
}

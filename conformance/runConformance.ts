import { backendChecks } from "./checks/backend.ts";
import { discoveryChecks } from "./checks/discovery.ts";
import { g10Checks } from "./checks/g10.ts";
import { introspectionChecks } from "./checks/introspection.ts";
import { ehrLaunch, standaloneLaunch } from "./checks/launch.ts";
import type { LaunchResult } from "./checks/launch.ts";
import { openidChecks } from "./checks/openid.ts";
import { refreshChecks } from "./checks/refresh.ts";
import type { ConformanceConfig } from "./config.ts";
import { FormDriver, ManualDriver } from "./drivers.ts";
import type { AuthorizationDriver } from "./drivers.ts";
import type { ClientAuth } from "./oauthClient.ts";
import { Recorder } from "./report.ts";
import type { CheckResult } from "./report.ts";
import type { SuiteContext } from "./SuiteContext.ts";

export interface RunOptions {
  /** Each result as it comes (the CLI prints it). */
  onResult?: (result: CheckResult) => void;
  /** Where manual-mode instructions go (default: stdout). */
  print?: (line: string) => void;
  /** Replace the browser step (tests); by default forms with user credentials, else the manual listener. */
  driver?: AuthorizationDriver;
}

/** Picks the browser step: fill in the server's forms when the config has user credentials, else ask a person. */
function defaultDriver(config: ConformanceConfig, print: (line: string) => void): AuthorizationDriver {
  if (config.patientUser || config.practitionerUser)
    return new FormDriver({
      ...(config.patientUser ? { patientUser: config.patientUser } : {}),
      ...(config.practitionerUser ? { practitionerUser: config.practitionerUser } : {}),
      redirectUri: config.redirectUri,
      timeoutMs: config.requestTimeoutMs,
    });
  return new ManualDriver({ redirectUri: config.redirectUri, timeoutSeconds: config.manualTimeoutSeconds, print });
}

/**
 * Runs every check against `config.fhirBaseUrl`, in the order Inferno's suites do (discovery,
 * launches with OpenID Connect and refresh, introspection, backend services, then the (g)(10)
 * authorization tests), and returns their results. Never throws for what the server does.
 */
export async function runConformance(config: ConformanceConfig, options: RunOptions = {}): Promise<CheckResult[]> {
  const print = options.print ?? ((line: string) => console.log(line));
  const rec = new Recorder(options.onResult);
  const driver = options.driver ?? defaultDriver(config, print);
  const ctx: SuiteContext = { config, rec, driver, endpoints: undefined, print };
  try {
    await discoveryChecks(ctx);
    const { clients } = config;
    const pub: ClientAuth | undefined = clients.public
      ? { kind: "public", clientId: clients.public.clientId }
      : undefined;
    const sym: ClientAuth | undefined = clients.symmetric ? { kind: "symmetric", ...clients.symmetric } : undefined;
    const launches: Record<string, LaunchResult> = {};
    for (const [tag, client] of [
      ["@public", pub],
      ["@symmetric", sym],
      ...(clients.asymmetric ?? []).map((c) => [
        `@asymmetric-${String(c.privateJwk.alg ?? "RS384")}`,
        { kind: "asymmetric", client: c },
      ]),
    ] as [string, ClientAuth | undefined][]) {
      if (!client) {
        rec.skip(
          `smart_standalone_launch_stu2_2-smart_token_exchange_stu2_2${tag}`,
          "Standalone launch",
          `no ${tag.slice(1)} client in the config`,
        );
        continue;
      }
      launches[tag] = await standaloneLaunch(ctx, tag, client);
    }
    const first = launches["@public"] ?? launches["@symmetric"];
    if (first) {
      await openidChecks(ctx, "@standalone", first);
      await refreshChecks(ctx, "standalone", "", first);
    }
    const ehrClient = sym ?? pub;
    if (ehrClient) {
      const ehr = await ehrLaunch(ctx, "", ehrClient);
      if (ehr.token) {
        await openidChecks(ctx, "@ehr", ehr);
        await refreshChecks(ctx, "ehr", "", ehr);
      }
    }
    const confidential =
      launches["@symmetric"] ?? Object.entries(launches).find(([t]) => t.startsWith("@asymmetric"))?.[1];
    await introspectionChecks(ctx, confidential);
    for (const backend of clients.backend ?? []) await backendChecks(ctx, backend);
    await g10Checks(ctx, pub);
  } finally {
    await driver.close();
  }
  return rec.results;
}

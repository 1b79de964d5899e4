import type { Anchorer, AnchorerStatus } from "../records/Anchorer.ts";
import { redactUrlsIn } from "../verify/redactUrlsIn.ts";

/** What /health knows; the HTTP edge shows `status` and `checks` to anyone, the rest to authenticated callers. */
export type HealthReport = {
  status: "ok" | "degraded";
  /** One code per check, safe to show anyone: never a message, a URL or a figure. */
  checks: { anchoring: "ok" | "failing" | "lagging" };
  chain: { chainId: string; contract: string };
  /** The anchorer's figures; its last error with every URL cut to scheme and host. */
  anchoring: AnchorerStatus;
};

/**
 * Health: "ok" while anchoring keeps up; "degraded" (503) when the chain has been failing or
 * the oldest unanchored write waits far longer than the batching interval.
 */
export async function health(
  anchorer: Anchorer,
  chainId: string,
  contract: string,
  intervalMs: number,
): Promise<HealthReport> {
  const anchoring = await anchorer.status();
  const lagging =
    anchoring.oldestPendingAgeMs !== null && anchoring.oldestPendingAgeMs > Math.max(30_000, intervalMs * 10);
  const code = anchoring.consecutiveFailures > 0 ? "failing" : lagging ? "lagging" : "ok";
  return {
    status: code === "ok" ? "ok" : "degraded",
    checks: { anchoring: code },
    chain: { chainId, contract },
    // Hosted RPC endpoints carry their API key in the path, and clients quote the URL in errors.
    anchoring: { ...anchoring, lastError: anchoring.lastError === null ? null : redactUrlsIn(anchoring.lastError) },
  };
}

/** Prometheus text format of the anchoring figures, and of group commit when given. */
export function metricsText(s: AnchorerStatus, commits?: { transactions: number; units: number }): string {
  const lines = [
    "# HELP fhirledger_anchor_pending_leaves Record versions acknowledged but not yet anchored.",
    "# TYPE fhirledger_anchor_pending_leaves gauge",
    `fhirledger_anchor_pending_leaves ${s.pendingLeaves}`,
    "# HELP fhirledger_anchor_lag_seconds Age of the oldest unanchored record version.",
    "# TYPE fhirledger_anchor_lag_seconds gauge",
    `fhirledger_anchor_lag_seconds ${((s.oldestPendingAgeMs ?? 0) / 1000).toFixed(3)}`,
    "# HELP fhirledger_anchor_batches Batches recorded in the index.",
    "# TYPE fhirledger_anchor_batches gauge",
    `fhirledger_anchor_batches ${s.batches}`,
    "# HELP fhirledger_anchor_consecutive_failures Anchoring attempts failed in a row (0 when healthy).",
    "# TYPE fhirledger_anchor_consecutive_failures gauge",
    `fhirledger_anchor_consecutive_failures ${s.consecutiveFailures}`,
    ...(commits
      ? [
          "# HELP fhirledger_index_commit_transactions_total Index transactions that committed versions (group commit).",
          "# TYPE fhirledger_index_commit_transactions_total counter",
          `fhirledger_index_commit_transactions_total ${commits.transactions}`,
          "# HELP fhirledger_index_commits_total Commits of versions (a write, or a FHIR transaction) those carried.",
          "# TYPE fhirledger_index_commits_total counter",
          `fhirledger_index_commits_total ${commits.units}`,
        ]
      : []),
  ];
  return `${lines.join("\n")}\n`;
}

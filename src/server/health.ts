import type { Anchorer, AnchorerStatus } from "../records/Anchorer.ts";

/**
 * Health: "ok" while anchoring keeps up; "degraded" (503) when the chain has been failing or
 * the oldest unanchored write waits far longer than the batching interval.
 */
export async function health(
  anchorer: Anchorer,
  chainId: string,
  contract: string,
  intervalMs: number,
): Promise<Record<string, unknown> & { status: string }> {
  const anchoring = await anchorer.status();
  const lagging =
    anchoring.oldestPendingAgeMs !== null && anchoring.oldestPendingAgeMs > Math.max(30_000, intervalMs * 10);
  const status = anchoring.consecutiveFailures > 0 || lagging ? "degraded" : "ok";
  return { status, chain: { chainId, contract }, anchoring };
}

/** Prometheus text format of the anchoring figures. */
export function metricsText(s: AnchorerStatus): string {
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
  ];
  return `${lines.join("\n")}\n`;
}

import type { Context } from "hono";

/** The socket's peer (@hono/node-server passes node's request as env.incoming). */
export function peerAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? "unknown";
}

/**
 * Behind a TLS-terminating proxy every peer is the proxy, and one client's failures would
 * throttle everyone: the client is the address the proxy appended last to X-Forwarded-For.
 * Only the last entry counts, since the client can write the earlier ones itself.
 */
export function forwardedClientAddress(c: Context): string {
  const forwarded = c.req.header("x-forwarded-for");
  const last = forwarded?.split(",").at(-1)?.trim().slice(0, 64);
  return last ? last : peerAddress(c);
}

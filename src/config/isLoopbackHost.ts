import { BlockList, isIP } from "node:net";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * Whether a listen address reaches this machine only: `localhost`, 127.0.0.0/8 or ::1 (an
 * IPv4-mapped ::ffff:127.x too). Any other name or address, 0.0.0.0 and :: included, is not.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (h === "localhost") return true;
  const family = isIP(h);
  if (family === 0) return false;
  return LOOPBACK.check(h, family === 4 ? "ipv4" : "ipv6");
}

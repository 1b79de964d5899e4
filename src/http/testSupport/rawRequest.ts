import { connect } from "node:net";

/**
 * Sends raw bytes over TCP (what fetch refuses to send: oversized URLs and headers, non-HTTP
 * garbage) and returns the status, head and body of the answer once the server closes.
 */
export function rawRequest(port: number, text: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      data += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const split = data.indexOf("\r\n\r\n");
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0),
        head: data.slice(0, split),
        body: data.slice(split + 4),
      });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer")));
  });
}

import type { FetchGetUrlFunc } from "ethers";

/**
 * An ethers transport over the global fetch whose timeout aborts the request. ethers' own
 * Node transport rejects on timeout but leaves the socket open, so a silent endpoint would
 * keep a CLI process alive long after it printed its answer.
 */
export function timedGetUrl(timeoutMs: number): FetchGetUrlFunc {
  return async (req, signal) => {
    const url = new URL(req.url);
    const headers: Record<string, string> = { ...req.headers };
    // fetch refuses URLs with credentials; send them the way ethers would, as Basic auth.
    if (url.username || url.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
      url.username = "";
      url.password = "";
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    signal?.addListener(() => controller.abort(new Error("request cancelled")));
    try {
      const response = await fetch(url, {
        method: req.method,
        headers,
        ...(req.body ? { body: Buffer.from(req.body) } : {}),
        signal: controller.signal,
        redirect: "error",
      });
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        responseHeaders[name] = value;
      });
      return {
        statusCode: response.status,
        statusMessage: response.statusText,
        headers: responseHeaders,
        body: new Uint8Array(await response.arrayBuffer()),
      };
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      // fetch says only "fetch failed"; the socket error under it is what an operator can act on.
      const cause = (error as { cause?: { message?: unknown } }).cause;
      throw typeof cause?.message === "string" ? new Error(cause.message) : error;
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Token-endpoint load generator, run in its own process: autocannon POSTs the form bodies of a
 * file (one client_credentials request each, with its own signed client assertion, made before
 * the clock starts) to `--url` over `--connections` keep-alive connections. Prints one JSON line.
 *
 *   node bench/tokenLoad.ts --url http://127.0.0.1:8080/auth/token --bodies-file bodies.json [--connections 8]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { postLoad } from "./postLoad.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "bodies-file": { type: "string" },
    connections: { type: "string", default: "8" },
  },
});
const bodies = JSON.parse(readFileSync(values["bodies-file"]!, "utf8")) as string[];
const out = await postLoad({
  url: new URL(values.url!),
  amount: bodies.length,
  connections: Number(values.connections),
  headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
  body: (i) => bodies[i]!,
  okStatus: 200,
});
console.log(JSON.stringify(out));

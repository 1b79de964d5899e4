import { createHash } from "node:crypto";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { SessionUser } from "./ports.ts";

/**
 * The one stylesheet, inline, so pages load nothing else; the CSP allows it by its hash
 * (STYLE_HASH) and nothing more. Text is #1a1a1a on white and links #0b57d0 (contrast above
 * 7:1 and 5:1), focus is a thick outline, and the page is one column on a phone. A wide
 * table scrolls inside its .table-wrap, which is positioned so that the visually-hidden text
 * of its buttons (position:absolute) is clipped with it instead of widening the whole page.
 * Checkboxes and radio buttons sit beside their label (not full-width blocks above it), big
 * enough to touch.
 */
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
header,main,footer{max-width:48rem;margin:0 auto;padding:1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;border-bottom:1px solid #ccc}
header .brand{font-weight:700;margin-right:auto;color:#1a1a1a;text-decoration:none}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
a{color:#0b57d0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #b45309;outline-offset:2px}
h1{font-size:1.6rem;line-height:1.25}
form.stack{display:grid;gap:.9rem;max-width:28rem}
label{display:block;font-weight:600}
.hint{display:block;font-weight:400;color:#444;font-size:.9rem}
label .hint{display:inline}
input,select,textarea{display:block;width:100%;font:inherit;padding:.5rem;border:1px solid #555;border-radius:4px;color:#1a1a1a;background:#fff}
input[aria-invalid=true],select[aria-invalid=true]{border:2px solid #b3261e}
input[type=checkbox],input[type=radio]{display:inline-block;width:1.25rem;height:1.25rem;margin:0 .5rem 0 0;padding:0;vertical-align:middle}
input[type=checkbox]+label,input[type=radio]+label{display:inline}
.field-error{color:#b3261e;font-weight:600;margin:.25rem 0 0}
button{font:inherit;padding:.55rem 1.1rem;border-radius:4px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b57d0}
form.inline{display:inline}
.notice{border-left:4px solid #0b57d0;background:#eef3fd;padding:.75rem 1rem}
.alert{border-left:4px solid #b3261e;background:#fdeeee;padding:.75rem 1rem}
.urgent{border-left:4px solid #b45309;background:#fff4e5;padding:.75rem 1rem}
tr.urgent td{background:#fff4e5}
.flag{margin:0 0 .25rem;color:#7a3306}
ul.plain{list-style:none;margin:0;padding:0}
fieldset{border:1px solid #ccc;border-radius:4px;padding:.5rem 1rem}
legend{font-weight:600}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}
.table-wrap{overflow-x:auto;position:relative}
code,.code{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.secret{font-size:1.3rem;font-weight:700;letter-spacing:.05em}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
a.visually-hidden:focus{position:static;width:auto;height:auto;clip:auto;display:inline-block;padding:.5rem}
`;

/** The `style-src` source that allows the inline stylesheet. */
export const STYLE_HASH = `'sha256-${createHash("sha256").update(STYLE, "utf8").digest("base64")}'`;

export interface LayoutOptions {
  user?: SessionUser | undefined;
  /** For the sign-out button in the header. */
  csrf?: string | undefined;
}

function navigation(options: LayoutOptions): HtmlEscapedString | Promise<HtmlEscapedString> {
  const { user, csrf } = options;
  if (!user)
    return html`<nav aria-label="Account"><ul><li><a href="/login">Sign in</a></li><li><a href="/register">Register</a></li></ul></nav>`;
  const links: [string, string][] = [
    ["/account", "Your account"],
    ["/apps", "Connected apps"],
  ];
  if (user.role === "patient") links.push(["/consents", "Your consents"], ["/access-log", "Access log"]);
  if (user.role === "practitioner")
    links.push(["/request-access", "Request access"], ["/break-glass", "Emergency access"]);
  if (user.role === "admin") links.push(["/admin", "Administration"]);
  if (user.role === "admin" || user.role === "practitioner") links.push(["/activation-codes", "Activation codes"]);
  return html`<nav aria-label="Account"><ul>
${links.map(([href, text]) => html`<li><a href="${href}">${text}</a></li>`)}
<li><form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${csrf ?? ""}"><button class="secondary" type="submit">Sign out ${user.username}</button></form></li>
</ul></nav>`;
}

/**
 * The page around every body: `lang`, a viewport for phones, a skip link, a landmark per
 * region, and the header that says who is signed in. Usable as the RenderPage port (the
 * OAuth authorize page) with the first two arguments.
 */
export function layout(
  title: string,
  body: HtmlEscapedString | string | Promise<HtmlEscapedString>,
  options: LayoutOptions = {},
): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · fhirledger</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<a class="visually-hidden" href="#main">Skip to content</a>
<header><a class="brand" href="/">fhirledger</a>${navigation(options)}</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
<footer><p class="hint">fhirledger: a FHIR R4 server whose records are encrypted and anchored on a ledger.</p></footer>
</body>
</html>`;
}

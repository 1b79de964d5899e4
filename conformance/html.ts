/** Just enough HTML reading to fill in a server's login and approval forms (no scripts, no DOM). */

export interface HtmlInput {
  tag: "input" | "button";
  type: string;
  name: string;
  value: string;
  checked: boolean;
}

export interface HtmlForm {
  action: string;
  method: "get" | "post";
  inputs: HtmlInput[];
}

const MAX_FORMS = 20;
const MAX_INPUTS = 500;

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|#39);/gi, (_, entity: string) => {
    const e = entity.toLowerCase();
    if (e.startsWith("#x")) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[e] ?? "";
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][\w:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    const name = m[1]!.toLowerCase();
    if (!(name in out)) out[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

/** The forms of a page, with their inputs and named buttons, in page order. */
export function parseForms(page: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    if (forms.length >= MAX_FORMS) break;
    const attrs = attributes(m[1]!);
    const inputs: HtmlInput[] = [];
    for (const i of m[2]!.matchAll(/<(input|button)\b([^>]*)>/gi)) {
      if (inputs.length >= MAX_INPUTS) break;
      const a = attributes(i[2]!);
      if (a.name === undefined) continue;
      const tag = i[1]!.toLowerCase() as HtmlInput["tag"];
      inputs.push({
        tag,
        type: (a.type ?? (tag === "button" ? "submit" : "text")).toLowerCase(),
        name: a.name,
        value: a.value ?? "",
        checked: "checked" in a,
      });
    }
    forms.push({ action: attrs.action ?? "", method: attrs.method?.toLowerCase() === "post" ? "post" : "get", inputs });
  }
  return forms;
}

/** The hidden fields of a form (CSRF token, request id, next), as name/value pairs. */
export function hiddenFields(form: HtmlForm): [string, string][] {
  return form.inputs.filter((i) => i.type === "hidden").map((i) => [i.name, i.value]);
}

import fs from "node:fs";
import path from "node:path";
import { ApiVersion } from "../../src/http/compute/microversion.js";

/** nova's doc samples and functional-test templates, beside the repository (`../shared/nova-api`). */
export const NOVA_API = path.resolve(import.meta.dirname, "..", "..", "..", "shared", "nova-api");
const DOC_ROOT = path.join(NOVA_API, "api_samples");
const EXTRA_ROOT = path.join(NOVA_API, "api_samples_templates_extra");

/**
 * A sample's id: its path under `api_samples/` (`servers/v2.100/server-get-resp.json`),
 * or `extra:` and its path under `api_samples_templates_extra/`.
 */
export type SampleId = string;

export const EXTRA_PREFIX = "extra:";

export interface SampleFile {
  readonly id: SampleId;
  /** The API area directory (`servers`, `os-keypairs` ...); "" for files at the corpus root. */
  readonly area: string;
  /** The microversion the sample belongs to: its `vX.Y/` directory, 2.1 at the area root. */
  readonly version: ApiVersion;
  readonly name: string;
  readonly response: boolean;
}

/** Responses whose file names read like requests (nova's rescue action answers with the admin password). */
const RESPONSES_NAMED_LIKE_REQUESTS = new Set(["server-rescue"]);

/**
 * Whether a sample is a response body. nova names most of them `*-resp.json`; the rest
 * follow a few older conventions (`-res`, `-resp-v2`, list-with-filter names, GETs named
 * after the resource). Everything else is a request body.
 */
export function isResponseName(fileName: string): boolean {
  const base = fileName.replace(/\.json(\.tpl)?$/, "");
  if (/-req([.-]|$)/.test(base)) return false;
  return (
    /-resp?([.-]|$)/.test(base) ||
    /-with-changes-(since|before)$/.test(base) ||
    /^(migrations-(get|index)|simple-tenant-usage-get|image-meta-key-get$|host-get-)/.test(base) ||
    RESPONSES_NAMED_LIKE_REQUESTS.has(base)
  );
}

function describeFile(id: SampleId): SampleFile {
  const rel = id.startsWith(EXTRA_PREFIX) ? id.slice(EXTRA_PREFIX.length) : id;
  const parts = rel.split("/");
  const name = parts.at(-1)!;
  const versionDir = parts.find((p) => /^v\d+\.\d+$/.test(p));
  return {
    id,
    area: parts.length > 1 ? parts[0]! : "",
    version: versionDir ? ApiVersion.of(versionDir.slice(1)) : ApiVersion.of("2.1"),
    name,
    response: isResponseName(name),
  };
}

function walk(root: string, prefix: string): SampleId[] {
  const out: SampleId[] = [];
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.json(\.tpl)?$/.test(entry.name))
        out.push(prefix + path.relative(root, full).split(path.sep).join("/"));
    }
  };
  visit(root);
  return out.sort();
}

/** Every sample of the corpus: the doc samples, then the extra templates. */
export function corpus(): SampleFile[] {
  return [...walk(DOC_ROOT, ""), ...walk(EXTRA_ROOT, EXTRA_PREFIX)].map(describeFile);
}

export function sampleFile(id: SampleId): SampleFile {
  return describeFile(id);
}

export function sampleExists(id: SampleId): boolean {
  return fs.existsSync(samplePath(id));
}

function samplePath(id: SampleId): string {
  return id.startsWith(EXTRA_PREFIX)
    ? path.join(EXTRA_ROOT, id.slice(EXTRA_PREFIX.length))
    : path.join(DOC_ROOT, id);
}

/** A sample's JSON. Templates hold `%(name)s` placeholders only inside strings, so they parse as they are. */
export function loadSample(id: SampleId): unknown {
  return JSON.parse(fs.readFileSync(samplePath(id), "utf8"));
}

/**
 * Resolves a request sample named from a response sample's row: a name with a `/` is
 * a full sample id; a bare file name is looked up in the response sample's own
 * directory, then in the same area's lower microversion directories, nearest first
 * (nova's tests reuse a request template until a microversion changes it);
 * `area:file` does the same in another area.
 */
export function resolveRequestSample(name: string, from: SampleFile): SampleId {
  if (name.includes("/")) {
    if (!sampleExists(name)) throw new Error(`request sample ${name} does not exist`);
    return name;
  }
  const [area, file] = name.includes(":") ? name.split(":", 2) : [from.area, name];
  name = file!;
  const versions = fs
    .readdirSync(path.join(DOC_ROOT, area!))
    .filter((d) => /^v\d+\.\d+$/.test(d))
    .map((d) => ApiVersion.of(d.slice(1)))
    .filter((v) => v.compare(from.version) <= 0)
    .sort((a, b) => b.compare(a));
  for (const v of versions) {
    const id = `${area}/v${v}/${name}`;
    if (sampleExists(id)) return id;
  }
  const root = `${area}/${name}`;
  if (sampleExists(root)) return root;
  throw new Error(`no request sample ${name} at or below ${from.id}`);
}

const globCache = new Map<string, RegExp>();

/** Whether a sample id matches a glob: `*` within one path segment, `**` across
 * segments (followed by a slash, also across none), `{a,b}` either. */
export function globMatches(glob: string, id: SampleId): boolean {
  let regex = globCache.get(glob);
  if (!regex) {
    let source = "";
    for (let i = 0; i < glob.length; i++) {
      const c = glob[i]!;
      if (glob.startsWith("**/", i)) {
        source += "(?:.*/)?";
        i += 2;
      } else if (glob.startsWith("**", i)) {
        source += ".*";
        i++;
      } else if (c === "*") source += "[^/]*";
      else if (c === "{") source += "(?:";
      else if (c === "}") source += ")";
      else if (c === "," && source.lastIndexOf("(?:") > source.lastIndexOf(")")) source += "|";
      else source += c.replace(/[\\^$.|?+()[\]{}]/g, "\\$&");
    }
    regex = new RegExp(`^${source}$`);
    globCache.set(glob, regex);
  }
  return regex.test(id);
}

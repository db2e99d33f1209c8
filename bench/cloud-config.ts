import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";

/** What the benchmark needs of one `clouds:` entry of clouds.yaml. */
export interface CloudConfig {
  name: string;
  /** The file the entry came from, for messages. */
  source: string;
  auth: CloudAuth;
  regionName?: string;
  /** Endpoint interface to pick from the catalog (`public` unless clouds.yaml says otherwise). */
  interface: string;
  /** false: accept any TLS certificate. */
  verify: boolean;
  /** PEM text of the CA bundle named by `cacert`. */
  ca?: string;
}

export interface CloudAuth {
  authUrl: string;
  authType: "password" | "v3applicationcredential";
  username?: string;
  userId?: string;
  password?: string;
  projectName?: string;
  projectId?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
}

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The places openstacksdk reads clouds.yaml from, in its order. */
export function cloudsYamlCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.OS_CLIENT_CONFIG_FILE) return [env.OS_CLIENT_CONFIG_FILE];
  return [
    path.resolve("clouds.yaml"),
    path.join(os.homedir(), ".config", "openstack", "clouds.yaml"),
    "/etc/openstack/clouds.yaml",
  ];
}

function deepMerge(base: Mapping, over: Mapping): Mapping {
  const out: Mapping = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = isMapping(prior) && isMapping(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

function str(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return String(value);
}

/** One cloud entry of a parsed clouds.yaml, checked and normalized. */
export function cloudFromEntry(name: string, entry: Mapping, source: string, baseDir: string): CloudConfig {
  const auth = isMapping(entry.auth) ? entry.auth : {};
  const authUrl = str(auth.auth_url);
  if (!authUrl) throw new Error(`${source}: cloud '${name}' has no auth.auth_url`);
  const authType = str(entry.auth_type) ?? "password";
  if (authType !== "password" && authType !== "v3password" && authType !== "v3applicationcredential")
    throw new Error(
      `${source}: cloud '${name}': auth_type '${authType}' is not supported (password, v3applicationcredential)`,
    );
  const verify = entry.verify !== false && entry.insecure !== true;
  const cacert = str(entry.cacert);
  return {
    name,
    source,
    regionName: str(entry.region_name),
    interface: str(entry.interface) ?? "public",
    verify,
    ca: cacert ? fs.readFileSync(path.resolve(baseDir, cacert), "utf8") : undefined,
    auth: {
      authUrl,
      authType: authType === "v3applicationcredential" ? "v3applicationcredential" : "password",
      username: str(auth.username),
      userId: str(auth.user_id),
      password: str(auth.password),
      projectName: str(auth.project_name) ?? str(auth.tenant_name),
      projectId: str(auth.project_id) ?? str(auth.tenant_id),
      userDomainName: str(auth.user_domain_name) ?? (auth.user_domain_id ? undefined : str(auth.domain_name)),
      userDomainId: str(auth.user_domain_id) ?? str(auth.domain_id),
      projectDomainName:
        str(auth.project_domain_name) ?? (auth.project_domain_id ? undefined : str(auth.domain_name)),
      projectDomainId: str(auth.project_domain_id) ?? str(auth.domain_id),
      applicationCredentialId: str(auth.application_credential_id),
      applicationCredentialName: str(auth.application_credential_name),
      applicationCredentialSecret: str(auth.application_credential_secret),
    },
  };
}

/**
 * Finds cloud `name` in the first clouds.yaml that has it (merging secure.yaml from the
 * same directory, as openstacksdk does), or in the given file.
 */
export function loadCloud(name: string, files: string[] = cloudsYamlCandidates()): CloudConfig {
  const read: string[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    read.push(file);
    let doc = parse(fs.readFileSync(file, "utf8")) as unknown;
    const secure = path.join(path.dirname(file), "secure.yaml");
    if (fs.existsSync(secure)) {
      const extra = parse(fs.readFileSync(secure, "utf8")) as unknown;
      if (isMapping(doc) && isMapping(extra)) doc = deepMerge(doc, extra);
    }
    const clouds = isMapping(doc) && isMapping(doc.clouds) ? doc.clouds : {};
    const entry = clouds[name];
    if (isMapping(entry)) return cloudFromEntry(name, entry, file, path.dirname(file));
  }
  const where =
    read.length > 0 ? `in ${read.join(", ")}` : `(no clouds.yaml found; looked at ${files.join(", ")})`;
  throw new Error(`cloud '${name}' not found ${where}`);
}

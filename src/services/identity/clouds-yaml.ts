import fs from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { REGION } from "./catalog.js";

/** One cloud's login: a user on a project, both in the default domain. */
export interface CloudLogin {
  userName: string;
  password: string;
  projectName: string;
}

/** The `clouds:` entries of a clouds.yaml pointing at this nimbus, keyed by cloud name. */
export function renderCloudsYaml(publicUrl: string, clouds: Record<string, CloudLogin>): string {
  const authUrl = `${publicUrl.replace(/\/+$/, "")}/identity`;
  const entries = Object.fromEntries(
    Object.entries(clouds).map(([name, login]) => [
      name,
      {
        auth: {
          auth_url: authUrl,
          username: login.userName,
          password: login.password,
          project_name: login.projectName,
          user_domain_name: "Default",
          project_domain_name: "Default",
        },
        region_name: REGION,
        interface: "public",
        identity_api_version: 3,
      },
    ]),
  );
  return YAML.stringify({ clouds: entries });
}

/** Writes the file readable by its owner only (it holds passwords), replacing it atomically. */
export async function writeCloudsYaml(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, content, { mode: 0o600 });
  // the mode of writeFile applies only to a file it creates (and passes the umask): a stale
  // temporary left by an earlier process of the same pid would keep whatever mode it had
  await fs.chmod(temporary, 0o600);
  await fs.rename(temporary, file);
}

import { setTimeout as sleep } from "node:timers/promises";
import { COMPUTE_MICROVERSION, Session } from "./client.js";
import { type CloudConfig, loadCloud } from "./cloud-config.js";
import type { Target } from "./context.js";
import { HttpClient } from "./http.js";
import { NimbusProcess } from "./nimbus-process.js";
import type { Progress } from "./progress.js";
import type { TargetInfo } from "./report.js";
import { SETTLE_MS } from "./scenarios/footprint.js";
import {
  type BootChoice,
  type BootSpec,
  deleteServer,
  listAllServers,
  type PollPolicy,
  resolveBootSpec,
  waitGone,
} from "./servers.js";

/** A target ready to measure: who it is, the member session, what to boot, how to poll. */
export interface Setup {
  target: Target;
  info: TargetInfo;
  user: Session;
  boot: BootSpec;
  poll: PollPolicy;
  http: HttpClient;
  /** Ends what the set-up started (the nimbus process, the servers left on a cloud). */
  cleanUp(): Promise<void>;
}

function networksText(boot: BootSpec): string {
  return boot.networks === "none" ? "none" : boot.networks.map((n) => n.uuid).join(", ");
}

/**
 * Starts a nimbus of our own on a fresh data directory, signs in as its demo user (and as
 * admin, to lift the demo project's quota) from the clouds.yaml it wrote.
 * `onStarted` receives the process at once, so that it is stopped even if the rest fails.
 */
export async function setUpNimbus(
  choice: BootChoice,
  progress: Progress,
  onStarted: (nimbus: NimbusProcess) => void,
): Promise<Setup> {
  progress.step("starting nimbus on a fresh data directory");
  const nimbus = await NimbusProcess.start({ fakeStepMs: 0, logLevel: "warn", timeoutMs: 60_000 });
  onStarted(nimbus);
  await sleep(SETTLE_MS);
  const idleRssBytes = nimbus.rssBytes();
  const http = new HttpClient();
  const user = await Session.login(http, loadCloud("nimbus", [nimbus.cloudsYaml]).auth);
  const admin = await Session.login(http, loadCloud("nimbus-admin", [nimbus.cloudsYaml]).auth);
  // The default quota (nova's: 10 instances) would stop concurrency 50 and the seeding.
  await admin.compute("PUT", `/os-quota-sets/${user.projectId}`, {
    quota_set: { instances: -1, cores: -1, ram: -1 },
  });
  const boot = await resolveBootSpec(user, { ...choice, flavor: choice.flavor ?? "1" });
  return {
    target: { kind: "nimbus", nimbus, admin },
    info: {
      kind: "nimbus",
      name: "nimbus started by the suite (fake driver, immediate steps)",
      computeUrl: user.computeUrl,
      microversion: COMPUTE_MICROVERSION,
      image: boot.imageName,
      flavor: boot.flavorName,
      networks: networksText(boot),
      nimbus: { fakeStepMs: 0, firstOkMs: nimbus.firstOkMs, idleRssBytes },
    },
    user,
    boot,
    // Immediate steps: poll often, or the poll interval would be most of what is measured.
    poll: { firstMs: 5, maxMs: 100, timeoutMs: 60_000 },
    http,
    cleanUp: async () => {
      http.close();
      await nimbus.stop();
    },
  };
}

/** Signs in to a cloud of clouds.yaml; its servers named `<namePrefix>-*` are deleted by `cleanUp`. */
export async function setUpCloud(
  cloud: CloudConfig,
  choice: BootChoice,
  progress: Progress,
  namePrefix: string,
): Promise<Setup> {
  progress.step(`authenticating to ${cloud.name} (${cloud.source})`);
  const http = new HttpClient({ rejectUnauthorized: cloud.verify, ca: cloud.ca });
  const user = await Session.login(http, cloud.auth, {
    interface: cloud.interface,
    regionName: cloud.regionName,
  });
  const boot = await resolveBootSpec(user, choice);
  return {
    target: { kind: "cloud", cloud },
    info: {
      kind: "cloud",
      name: `${cloud.name} (clouds.yaml)`,
      computeUrl: user.computeUrl,
      microversion: COMPUTE_MICROVERSION,
      image: boot.imageName,
      flavor: boot.flavorName,
      networks: networksText(boot),
    },
    user,
    boot,
    // Rally's defaults are 1 s after a 1 s pre-poll delay; start faster, back off to 2 s.
    poll: { firstMs: 250, maxMs: 2000, timeoutMs: 600_000 },
    http,
    cleanUp: async () => {
      await deleteByPrefix(user, namePrefix, progress);
      http.close();
    },
  };
}

/** Deletes every server of the project named `<prefix>-*` and waits (bounded) until they are gone. */
async function deleteByPrefix(session: Session, prefix: string, progress: Progress): Promise<void> {
  const servers = (await listAllServers(session, `name=${encodeURIComponent(prefix)}`)).filter((s) =>
    s.name.startsWith(`${prefix}-`),
  );
  if (servers.length === 0) return;
  progress.step(`cleaning up: deleting ${servers.length} server(s) named ${prefix}-*`);
  const poll: PollPolicy = { firstMs: 500, maxMs: 5000, timeoutMs: 300_000 };
  let next = 0;
  const worker = async () => {
    while (next < servers.length) {
      const { id } = servers[next++]!;
      await deleteServer(session, id);
      await waitGone(session, id, poll).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
}

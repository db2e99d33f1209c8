import type { ComputeService } from "../../services/compute/compute-service.js";
import type { DiskConfig } from "../../services/compute/servers/disk-config.js";
import type { UnshelveRequest } from "../../services/compute/servers/images.js";
import type { RebuildRequest } from "../../services/compute/servers/moves.js";
import { generatePassword } from "../../services/compute/servers/operations.js";
import { HttpFault } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { ActionDef, ActionRouteDef, ComputeCall } from "./router.js";
import { serverBody } from "./servers.js";

/** The microversions at which these actions change what they read or answer. */
const SINCE = {
  /** createBackup no longer counts its metadata against the metadata_items quota. */
  backupWithoutMetadataQuota: "2.39",
  /** createImage and createBackup answer `{"image_id"}` instead of a Location header. */
  imageIdBody: "2.45",
  /** lock takes a locked_reason. */
  lockedReason: "2.73",
  /** unshelve takes an availability_zone (for an offloaded server). */
  unshelveZone: "2.77",
  /** unshelve takes a host, and availability_zone null to unpin. */
  unshelveHost: "2.91",
  /** migrate takes a host. */
  migrateHost: "2.56",
  /** os-migrateLive takes force. */
  liveMigrateForce: "2.30",
  /** os-migrateLive answers 202 before the conductor's checks (a refusal no longer gives 400). */
  liveMigrateAsync: "2.34",
  /** evacuate drops onSharedStorage and answers no adminPass. */
  evacuateNoSharedStorage: "2.14",
  /** evacuate takes force (its schema ends at 2.67). */
  evacuateForce: "2.29",
  /** an evacuated server arrives stopped. */
  evacuateStopped: "2.95",
} as const;

/** oslo's bool_from_string for the values nova's boolean schema admits. */
const isTrue = (value: unknown) => ["true", "1", "on", "yes"].includes(String(value).toLowerCase());

/** The unshelve body nova reads at this microversion: nothing before 2.77, a zone, then a host. */
function unshelveRequest(call: ComputeCall): UnshelveRequest {
  const body = call.body as { availability_zone?: string | null; host?: string } | null;
  const request: UnshelveRequest = {};
  if (body && call.version.atLeast(SINCE.unshelveZone) && "availability_zone" in body) {
    request.availabilityZone = body.availability_zone;
  }
  // nova ignores an empty host as it ignores an absent one
  if (body?.host && call.version.atLeast(SINCE.unshelveHost)) request.host = body.host;
  return request;
}

const policy = (name: string, rule: Policy["rule"] = "project_member"): Policy => ({
  name: `os_compute_api:${name}`,
  rule,
});

/**
 * `POST /servers/{id}/action`: one entry per action key nimbus implements, with nova's
 * policy, success status and version range. Request bodies are validated by the router.
 */
/** Every server action: nova's own, then those other modules define (`more`). */
export function serverActionRoutes(compute: ComputeService, more: readonly ActionDef[] = []): ActionRouteDef {
  /** Loads the server (404 when not visible), then checks the action's policy against its project. */
  const target = async (call: ComputeCall, p: Policy) => {
    const instance = await compute.get(call.auth, call.params.id!);
    authorize(call.auth, p, instance.projectId);
    return instance;
  };

  /** An action whose whole answer is its status: authorize on the server, then hand it to the service. */
  const act = (
    name: string,
    status: number,
    p: Policy,
    run: (call: ComputeCall, uuid: string) => Promise<void>,
  ): ActionDef => ({
    name,
    status,
    handler: async (call) => {
      const instance = await target(call, p);
      await run(call, instance.uuid);
    },
  });

  const power = (
    name: string,
    action: "start" | "stop" | "pause" | "unpause" | "suspend" | "resume",
    p: Policy,
  ): ActionDef => act(name, 202, p, (call, uuid) => compute.power.powerAction(call.auth, uuid, action));

  const actions: ActionDef[] = [
    act("reboot", 202, policy("servers:reboot"), (call, uuid) =>
      compute.power.reboot(call.auth, uuid, String(call.body.type).toUpperCase() as "SOFT" | "HARD"),
    ),
    power("os-start", "start", policy("servers:start")),
    power("os-stop", "stop", policy("servers:stop")),
    power("pause", "pause", policy("os-pause-server:pause")),
    power("unpause", "unpause", policy("os-pause-server:unpause")),
    power("suspend", "suspend", policy("os-suspend-server:suspend")),
    power("resume", "resume", policy("os-suspend-server:resume")),
    act("resize", 202, policy("servers:resize"), (call, uuid) =>
      compute.moves.resize(
        call.auth,
        uuid,
        String(call.body.flavorRef).split("/").at(-1)!,
        call.body["OS-DCF:diskConfig"] as DiskConfig | undefined,
      ),
    ),
    act("confirmResize", 204, policy("servers:confirm_resize"), (call, uuid) =>
      compute.moves.confirmResize(call.auth, uuid),
    ),
    act("revertResize", 202, policy("servers:revert_resize"), (call, uuid) =>
      compute.moves.revertResize(call.auth, uuid),
    ),
    {
      name: "rebuild",
      status: 202,
      handler: async (call) => {
        const existing = await target(call, policy("servers:rebuild"));
        const b = call.body as Record<string, unknown>;
        const request: RebuildRequest = {
          imageRef: String(b.imageRef).split("/").at(-1)!,
          name: b.name as string | undefined,
          adminPass: b.adminPass as string | undefined,
          metadata: b.metadata as Record<string, string> | undefined,
          description: b.description as string | null | undefined,
          keyName: b.key_name as string | null | undefined,
          userData: b.user_data as string | null | undefined,
          accessIPv4: b.accessIPv4 as string | undefined,
          diskConfig: b["OS-DCF:diskConfig"] as DiskConfig | undefined,
          accessIPv6: b.accessIPv6 as string | undefined,
          hostname: b.hostname as string | undefined,
          trustedImageCertificates: b.trusted_image_certificates as string[] | null | undefined,
        };
        const { instance, adminPass } = await compute.moves.rebuild(call.auth, existing.uuid, request);
        const body = await serverBody(call, compute, instance, "rebuild");
        return { server: { ...body.server, adminPass } };
      },
    },
    {
      name: "createImage",
      status: 202,
      handler: async (call) => {
        const instance = await target(call, policy("servers:create_image"));
        const imageId = await compute.images.createImage(
          call.auth,
          instance.uuid,
          call.body.name as string,
          (call.body.metadata ?? {}) as Record<string, string>,
        );
        if (call.version.atLeast(SINCE.imageIdBody)) return { image_id: imageId };
        call.setHeader("Location", call.links.image(imageId));
        return undefined;
      },
    },
    {
      name: "lock",
      status: 202,
      handler: async (call) => {
        const instance = await target(call, policy("os-lock-server:lock"));
        // earlier bodies may carry locked_reason, but it is ignored
        const body = call.body as { locked_reason?: string } | null;
        const reason = call.version.atLeast(SINCE.lockedReason) ? (body?.locked_reason ?? null) : null;
        await compute.access.lock(call.auth, instance.uuid, reason);
      },
    },
    act("unlock", 202, policy("os-lock-server:unlock"), (call, uuid) =>
      compute.access.unlock(call.auth, uuid),
    ),
    {
      name: "os-getConsoleOutput",
      status: 200,
      handler: async (call) => {
        const instance = await target(call, policy("os-console-output"));
        const length = (call.body as { length?: number | string | null } | null)?.length;
        const lines = length === undefined || length === null ? undefined : Number(length);
        const output = await compute.access.consoleOutput(call.auth, instance.uuid, lines);
        // nova strips the control characters but tab and newline
        // biome-ignore lint/suspicious/noControlCharactersInRegex: those characters are the point
        return { output: output.replace(/[\x00-\x08\x0B-\x1F]/g, "") };
      },
    },
    act("os-resetState", 202, policy("os-admin-actions:reset_state", "admin"), (call, uuid) =>
      compute.power.resetState(call.auth, uuid, call.body.state as "active" | "error"),
    ),
    {
      ...act("trigger_crash_dump", 202, policy("servers:trigger_crash_dump"), (call, uuid) =>
        compute.power.triggerCrashDump(call.auth, uuid),
      ),
      min: "2.17",
    },
    act("shelve", 202, policy("os-shelve:shelve"), (call, uuid) => compute.images.shelve(call.auth, uuid)),
    act("shelveOffload", 202, policy("os-shelve:shelve_offload", "admin"), (call, uuid) =>
      compute.images.shelveOffload(call.auth, uuid),
    ),
    {
      name: "unshelve",
      status: 202,
      handler: async (call) => {
        const instance = await target(call, policy("os-shelve:unshelve"));
        const request = unshelveRequest(call);
        // nova asks this policy before any check of the server's state
        if (request.host !== undefined) {
          authorize(call.auth, policy("os-shelve:unshelve_to_host", "admin"), instance.projectId);
        }
        await compute.images.unshelve(call.auth, instance.uuid, request);
      },
    },
    {
      name: "rescue",
      // nova answers 200 here, for compatibility, though the rescue is asynchronous
      status: 200,
      handler: async (call) => {
        const instance = await target(call, policy("os-rescue"));
        const body = call.body as { adminPass?: string; rescue_image_ref?: string } | null;
        const adminPass = await compute.access.rescue(call.auth, instance.uuid, {
          adminPass: body?.adminPass,
          rescueImageRef: body?.rescue_image_ref,
        });
        // nova's [api] enable_instance_password is on by default
        return { adminPass };
      },
    },
    act("unrescue", 202, policy("os-unrescue"), (call, uuid) => compute.access.unrescue(call.auth, uuid)),
    act("restore", 202, policy("os-deferred-delete:restore"), (call, uuid) =>
      compute.deletion.restore(call.auth, uuid),
    ),
    act("forceDelete", 202, policy("os-deferred-delete:force"), (call, uuid) =>
      compute.deletion.forceDelete(call.auth, uuid),
    ),
    act("changePassword", 202, policy("os-admin-password"), (call, uuid) =>
      compute.access.changePassword(call.auth, uuid, call.body.adminPass as string),
    ),
    {
      name: "createBackup",
      status: 202,
      handler: async (call) => {
        const instance = await target(call, policy("os-create-backup"));
        const b = call.body as {
          name: string;
          backup_type: string;
          rotation: number | string;
          metadata?: object;
        };
        const rotation = Number(b.rotation);
        const imageId = await compute.images.createBackup(call.auth, instance.uuid, {
          // legacy /v2 allows surrounding spaces in the name; nova strips them
          name: b.name.trim(),
          backupType: b.backup_type,
          rotation,
          metadata: b.metadata as Record<string, string> | undefined,
          checkMetadataQuota: !call.version.atLeast(SINCE.backupWithoutMetadataQuota),
        });
        if (call.version.atLeast(SINCE.imageIdBody)) return { image_id: imageId };
        // unlike createImage, nova names its own image API here, and only when backups are kept
        if (rotation > 0)
          call.setHeader("Location", `${call.links.base}${call.links.mountPrefix}/images/${imageId}`);
        return undefined;
      },
    },
    {
      name: "migrate",
      status: 202,
      handler: async (call) => {
        const instance = await compute.get(call.auth, call.params.id!);
        // the body is read (and validated) only from 2.56
        const host = call.version.atLeast(SINCE.migrateHost)
          ? ((call.body as { host?: string | null } | null)?.host ?? null)
          : null;
        authorize(
          call.auth,
          policy(
            host ? "os-migrate-server:migrate:host" : "os-migrate-server:migrate",
            host ? "admin" : "project_manager",
          ),
          instance.projectId,
        );
        await compute.moves.migrate(call.auth, instance.uuid, host);
      },
    },
    {
      name: "os-migrateLive",
      status: 202,
      handler: async (call) => {
        const instance = await compute.get(call.auth, call.params.id!);
        const b = call.body as {
          host: string | null;
          force?: boolean | string;
          block_migration?: boolean | string;
        };
        const host = b.host;
        authorize(
          call.auth,
          policy(
            host ? "os-migrate-server:migrate_live:host" : "os-migrate-server:migrate_live",
            host ? "admin" : "project_manager",
          ),
          instance.projectId,
        );
        // `force` exists from 2.30 (its schema ends at 2.67: from 2.68 it is always false)
        const force = call.version.atLeast(SINCE.liveMigrateForce) ? isTrue(b.force ?? false) : null;
        if (force && !host) throw new HttpFault(400, "Can't force to a non-provided destination");
        await compute.moves.liveMigrate(call.auth, instance.uuid, {
          host,
          force,
          waitForChecks: !call.version.atLeast(SINCE.liveMigrateAsync),
          blockMigration: b.block_migration === "auto" ? "auto" : isTrue(b.block_migration ?? false),
        });
      },
    },
    {
      name: "evacuate",
      status: 200,
      handler: async (call) => {
        const instance = await target(call, policy("os-evacuate", "admin"));
        const b = call.body as {
          host?: string;
          onSharedStorage?: unknown;
          adminPass?: string;
          force?: unknown;
        };
        const host = b.host ?? null;
        const sharedDisk = !call.version.atLeast(SINCE.evacuateNoSharedStorage) && isTrue(b.onSharedStorage);
        // an existing disk keeps its password
        if (sharedDisk && b.adminPass !== undefined) {
          throw new HttpFault(400, "admin password can't be changed on existing disk");
        }
        const force = call.version.atLeast(SINCE.evacuateForce) ? isTrue(b.force ?? false) : null;
        if (force && !host) throw new HttpFault(400, "Can't force to a non-provided destination");
        // before 2.29 a named host is always forced; from 2.29 only with force
        await compute.moves.evacuate(call.auth, instance.uuid, {
          host,
          forced: host !== null && force !== false,
          stopped: call.version.atLeast(SINCE.evacuateStopped),
        });
        if (call.version.atLeast(SINCE.evacuateNoSharedStorage)) return undefined;
        // before 2.14 nova answers the guest's new password: the one given, else one it made
        return { adminPass: b.adminPass ?? (sharedDisk ? null : generatePassword()) };
      },
    },
    { name: "resetNetwork", removed: true, status: 410, handler: () => undefined },
    ...more,
  ];
  return { method: "POST", path: "/servers/{id}/action", actions };
}

import type { ComputeService } from "../../services/compute/compute-service.js";
import type { DiskConfig } from "../../services/compute/servers/disk-config.js";
import type { CreateServerRequest } from "../../services/compute/servers/lifecycle.js";
import type { RequestedNetworks } from "../../services/network/instance-networking.js";
import type { Instance } from "../../store/instance-record.js";
import { badRequest } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { serverListRequest } from "./server-filters.js";
import { type ServerViewKind, SINCE, serverSummary, serverView } from "./views/servers.js";

const p = (name: string, rule: Policy["rule"]): Policy => ({ name: `os_compute_api:servers:${name}`, rule });
/** Naming a host or node to boot on (2.74); nova's one policy outside the os_compute_api namespace. */
const REQUESTED_DESTINATION: Policy = { name: "compute:servers:create:requested_destination", rule: "admin" };

/** host_status is admin-only from 2.16 (os_compute_api:servers:show:host_status): looked up only then. */
export async function hostStatuses(
  call: ComputeCall,
  compute: ComputeService,
  instances: readonly Instance[],
): Promise<ReadonlyMap<string, string> | undefined> {
  if (!call.auth.isAdmin || !call.version.atLeast(SINCE.hostStatus)) return undefined;
  return compute.events.hostStatuses(instances);
}

export function renderServer(
  call: ComputeCall,
  instance: Instance,
  kind: ServerViewKind,
  statuses?: ReadonlyMap<string, string>,
) {
  return serverView(instance, {
    version: call.version,
    auth: call.auth,
    links: call.links,
    kind,
    hostStatuses: statuses,
  });
}

/** A single server's view, with its host's status where the caller may see it. */
export async function serverBody(
  call: ComputeCall,
  compute: ComputeService,
  instance: Instance,
  kind: ServerViewKind,
) {
  return { server: renderServer(call, instance, kind, await hostStatuses(call, compute, [instance])) };
}

/** oslo's bool_from_string, as nova reads boolean-ish body values ("True", "1", true ...). */
function isTrue(value: unknown): boolean {
  return value === true || ["1", "t", "true", "on", "y", "yes"].includes(String(value).toLowerCase());
}

/** nova's `networks` before 2.37 was optional (absent: the project's one network, if it has one). */
function requestedNetworks(body: Record<string, unknown>): RequestedNetworks {
  const networks = body.networks;
  if (networks === undefined) return "default";
  if (networks === "auto" || networks === "none") return networks;
  return networks as Exclude<RequestedNetworks, string>;
}

function createRequest(call: ComputeCall): CreateServerRequest {
  const body = call.body.server as Record<string, unknown>;
  const hints = (call.body["os:scheduler_hints"] ?? call.body["OS-SCH-HNT:scheduler_hints"]) as
    | Record<string, unknown>
    | undefined;
  const bdm = (body.block_device_mapping_v2 ?? undefined) as Array<Record<string, unknown>> | undefined;
  const az = body.availability_zone as string | undefined;
  // nova's "zone:host" availability zone syntax (admin only)
  const forcedHost = az?.includes(":") ? az.split(":")[1] || undefined : undefined;
  if (forcedHost !== undefined) authorize(call.auth, p("create:forced_host", "admin"));
  // 2.74's host and hypervisor_hostname (the schema admits them from then on); a fake host's
  // single node is named as the host
  const requested = (body.host ?? body.hypervisor_hostname) as string | undefined;
  if (requested) {
    authorize(call.auth, REQUESTED_DESTINATION);
    if (forcedHost !== undefined) {
      throw badRequest(
        "One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.",
      );
    }
  }
  const host = forcedHost ?? (requested || undefined);
  return {
    name: body.name as string,
    imageRef: (body.imageRef as string | undefined)?.split("/").at(-1) || undefined,
    flavorRef: String(body.flavorRef).split("/").at(-1)!,
    networks: requestedNetworks(body),
    keyName: body.key_name as string | undefined,
    metadata: body.metadata as Record<string, string> | undefined,
    userData: body.user_data as string | undefined,
    availabilityZone: az,
    minCount: body.min_count === undefined ? undefined : Number(body.min_count),
    maxCount: body.max_count === undefined ? undefined : Number(body.max_count),
    // before 2.19 there is no description: nova fills it with the name
    description: call.version.atLeast(SINCE.description)
      ? (body.description as string | null | undefined)
      : (body.name as string),
    tags: body.tags as string[] | undefined,
    adminPass: body.adminPass as string | undefined,
    accessIPv4: body.accessIPv4 as string | undefined,
    accessIPv6: body.accessIPv6 as string | undefined,
    diskConfig: body["OS-DCF:diskConfig"] as DiskConfig | undefined,
    // nova keeps the names given, each once
    securityGroups: (body.security_groups as Array<{ name?: string }> | undefined)
      ?.map((g) => g.name ?? "")
      .filter((name) => name !== ""),
    configDrive: isTrue(body.config_drive),
    trustedImageCertificates: body.trusted_image_certificates as string[] | null | undefined,
    hostname: body.hostname as string | undefined,
    host,
    schedulerHints: hints,
    blockDeviceMapping: bdm,
  };
}

export function serverRoutes(compute: ComputeService): RouteDef[] {
  const list = (kind: "index" | "detail") => async (call: ComputeCall) => {
    authorize(call.auth, p(kind, "project_reader"));
    const { filter, marker, limit } = serverListRequest(call.query, call.version, call.auth, kind);
    const instances = await compute.lifecycle.list(call.auth, filter, marker);
    const statuses = kind === "detail" ? await hostStatuses(call, compute, instances) : undefined;
    const body: Record<string, unknown> = {
      servers: instances.map((i) =>
        kind === "index" ? serverSummary(i, call.links) : renderServer(call, i, "detail", statuses),
      ),
    };
    if (instances.length > 0 && instances.length === limit) {
      const path = kind === "index" ? "servers" : "servers/detail";
      body.servers_links = [{ rel: "next", href: call.links.next(path, instances.at(-1)!.uuid) }];
    }
    return body;
  };

  return [
    { method: "GET", path: "/servers", status: 200, handler: list("index") },
    { method: "GET", path: "/servers/detail", status: 200, handler: list("detail") },
    {
      method: "GET",
      path: "/servers/{id}",
      status: 200,
      handler: async (call) => {
        const instance = await compute.get(call.auth, call.params.id!);
        authorize(call.auth, p("show", "project_reader"), instance.projectId);
        return serverBody(call, compute, instance, "show");
      },
    },
    {
      method: "POST",
      path: "/servers",
      status: 202,
      handler: async (call) => {
        authorize(call.auth, p("create", "project_member"));
        const request = createRequest(call);
        const result = await compute.lifecycle.create(call.auth, request);
        if (isTrue(call.body.server.return_reservation_id)) return { reservation_id: result.reservationId };
        const first = result.instances[0]!;
        const self = call.links.self("servers", first.uuid);
        call.setHeader("Location", self);
        return {
          server: {
            id: first.uuid,
            links: call.links.pair("servers", first.uuid),
            "OS-DCF:diskConfig": first.autoDiskConfig ? "AUTO" : "MANUAL",
            // nova echoes what was asked for, or the group Neutron gives
            security_groups: call.body.server.security_groups ?? [{ name: "default" }],
            adminPass: result.adminPass,
          },
        };
      },
    },
    {
      method: "PUT",
      path: "/servers/{id}",
      status: 200,
      handler: async (call) => {
        const existing = await compute.get(call.auth, call.params.id!);
        authorize(call.auth, p("update", "project_member"), existing.projectId);
        const body = call.body.server as Record<string, string | null | undefined>;
        const instance = await compute.lifecycle.update(call.auth, existing.uuid, {
          name: body.name ?? undefined,
          description: body.description,
          accessIPv4: body.accessIPv4 ?? undefined,
          accessIPv6: body.accessIPv6 ?? undefined,
          hostname: body.hostname ?? undefined,
          diskConfig: (body["OS-DCF:diskConfig"] ?? undefined) as DiskConfig | undefined,
          pinnedAvailabilityZone: body.pinned_availability_zone,
        });
        return serverBody(call, compute, instance, "update");
      },
    },
    {
      method: "DELETE",
      path: "/servers/{id}",
      status: 204,
      handler: async (call) => {
        const instance = await compute.get(call.auth, call.params.id!);
        authorize(call.auth, p("delete", "project_member"), instance.projectId);
        await compute.deletion.delete(call.auth, instance.uuid);
      },
    },
  ];
}

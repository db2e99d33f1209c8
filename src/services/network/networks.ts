import { randomUUID } from "node:crypto";
import type { Executor, NeutronRepository } from "../../store/neutron-repository.js";
import type { NetworkRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { InvalidInput } from "../errors.js";
import { NetworkInUse, NetworkNotFound, PolicyNotAuthorized } from "./errors.js";
import type { NetworkQuotas } from "./quotas.js";
import {
  AvailabilityZoneNotFound,
  checkRevision,
  DEFAULT_ZONE,
  neutronTime,
  ownerOf,
  ownsOrAdmin,
  type StandardAttributes,
} from "./standard-attributes.js";

/** Neutron's default MTU for a network of type local or flat on a 1500-byte underlay. */
export const DEFAULT_MTU = 1500;

export interface NetworkRecord extends StandardAttributes {
  name: string;
  admin_state_up: boolean;
  shared: boolean;
  /** router:external */
  external: boolean;
  mtu: number;
  status: "ACTIVE";
  availability_zone_hints: string[];
  availability_zones: string[];
  /** provider:network_type, provider:physical_network, provider:segmentation_id */
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  subnets: string[];
}

/** What a create or update may set (the HTTP edge has checked types and allow_post/allow_put). */
export type NetworkChanges = Partial<
  Pick<
    NetworkRecord,
    | "name"
    | "description"
    | "admin_state_up"
    | "shared"
    | "external"
    | "mtu"
    | "availability_zone_hints"
    | "network_type"
    | "physical_network"
    | "segmentation_id"
    | "project_id"
  >
>;

/** Attributes only an admin may set (Neutron's default policy: create_network:shared, ...). */
const ADMIN_ONLY = ["shared", "external", "network_type", "physical_network", "segmentation_id"] as const;
const POLICY_NAME: Record<(typeof ADMIN_ONLY)[number], string> = {
  shared: "shared",
  external: "router:external",
  network_type: "provider:network_type",
  physical_network: "provider:physical_network",
  segmentation_id: "provider:segmentation_id",
};

function toRecord(row: NetworkRow, subnets: string[], tags: string[]): NetworkRecord {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    description: row.description,
    admin_state_up: row.admin_state_up === 1,
    shared: row.shared === 1,
    external: row.external === 1,
    mtu: row.mtu,
    status: "ACTIVE",
    availability_zone_hints: JSON.parse(row.availability_zone_hints) as string[],
    availability_zones: [DEFAULT_ZONE],
    network_type: row.network_type,
    physical_network: row.physical_network,
    segmentation_id: row.segmentation_id,
    subnets,
    tags,
    revision_number: row.revision_number,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Networks: Neutron's rules for who sees, creates, changes and deletes them. */
export class Networks {
  constructor(
    readonly repo: NeutronRepository,
    readonly quotas: NetworkQuotas,
  ) {}

  /** Whether the caller sees this network: an admin, its project, or it is shared or external. */
  static visibleTo(
    caller: AuthContext,
    row: Pick<NetworkRow, "project_id" | "shared" | "external">,
  ): boolean {
    return ownsOrAdmin(caller, row.project_id) || row.shared === 1 || row.external === 1;
  }

  async #records(rows: NetworkRow[]): Promise<NetworkRecord[]> {
    const ids = rows.map((r) => r.id);
    const subnets = await this.repo.subnetsOf(ids);
    const tags = await this.repo.tagsOf(ids);
    return rows.map((row) =>
      toRecord(
        row,
        subnets.filter((s) => s.network_id === row.id).map((s) => s.id),
        tags.get(row.id) ?? [],
      ),
    );
  }

  /** The network row if the caller sees it, else NetworkNotFound (Neutron hides what you may not see). */
  async visibleRow(caller: AuthContext, id: string, ex?: Executor): Promise<NetworkRow> {
    const row = await this.repo.findNetwork(id, ex);
    if (!row || !Networks.visibleTo(caller, row)) throw new NetworkNotFound(id);
    return row;
  }

  async list(caller: AuthContext): Promise<NetworkRecord[]> {
    return this.#records(await this.repo.listNetworks(caller.isAdmin ? undefined : (caller.projectId ?? "")));
  }

  async show(caller: AuthContext, id: string): Promise<NetworkRecord> {
    const [record] = await this.#records([await this.visibleRow(caller, id)]);
    return record!;
  }

  #checkPolicy(caller: AuthContext, action: "create" | "update", changes: NetworkChanges): void {
    if (caller.isAdmin) return;
    for (const key of ADMIN_ONLY) {
      if (changes[key] !== undefined) throw new PolicyNotAuthorized(`${action}_network:${POLICY_NAME[key]}`);
    }
  }

  #checkZones(hints: readonly string[] | undefined): void {
    for (const zone of hints ?? []) if (zone !== DEFAULT_ZONE) throw new AvailabilityZoneNotFound(zone);
  }

  /** `id` is chosen by the caller only for the bootstrap's networks (see bootstrap-network.ts). */
  async create(caller: AuthContext, changes: NetworkChanges, id = randomUUID()): Promise<NetworkRecord> {
    this.#checkPolicy(caller, "create", changes);
    this.#checkZones(changes.availability_zone_hints);
    const mtu = changes.mtu ?? DEFAULT_MTU;
    if (mtu < 68)
      throw new InvalidInput(`Invalid input for mtu. Reason: '${mtu}' is too small - must be at least '68'.`);
    const now = neutronTime();
    const projectId = ownerOf(caller, changes.project_id);
    await this.repo.transaction(async (trx) => {
      await this.quotas.check(trx, projectId, "network");
      await this.repo.insertNetwork(
        {
          id,
          project_id: projectId,
          name: changes.name ?? "",
          description: changes.description ?? "",
          admin_state_up: changes.admin_state_up === false ? 0 : 1,
          shared: changes.shared ? 1 : 0,
          external: changes.external ? 1 : 0,
          mtu,
          status: "ACTIVE",
          availability_zone_hints: JSON.stringify(changes.availability_zone_hints ?? []),
          network_type: changes.network_type ?? "local",
          physical_network: changes.physical_network ?? null,
          segmentation_id: changes.segmentation_id ?? null,
          revision_number: 1,
          created_at: now,
          updated_at: now,
        },
        trx,
      );
    });
    return this.show(caller, id);
  }

  async update(
    caller: AuthContext,
    id: string,
    changes: NetworkChanges,
    expectedRevision?: number,
  ): Promise<NetworkRecord> {
    await this.repo.transaction(async (trx) => {
      const row = await this.repo.lockNetwork(trx, id);
      if (!row || !Networks.visibleTo(caller, row)) throw new NetworkNotFound(id);
      if (!ownsOrAdmin(caller, row.project_id)) throw new PolicyNotAuthorized("update_network");
      this.#checkPolicy(caller, "update", changes);
      checkRevision(expectedRevision, row.revision_number);
      await this.repo.updateNetwork(
        id,
        {
          ...(changes.name !== undefined && { name: changes.name }),
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.admin_state_up !== undefined && { admin_state_up: changes.admin_state_up ? 1 : 0 }),
          ...(changes.shared !== undefined && { shared: changes.shared ? 1 : 0 }),
          ...(changes.external !== undefined && { external: changes.external ? 1 : 0 }),
          ...(changes.mtu !== undefined && { mtu: changes.mtu }),
          revision_number: row.revision_number + 1,
          updated_at: neutronTime(),
        },
        trx,
      );
    });
    return this.show(caller, id);
  }

  /**
   * Deletes a network and its subnets. Ports other than DHCP ports keep it in use
   * (NetworkInUse); Neutron deletes the DHCP ports it made itself.
   */
  async delete(caller: AuthContext, id: string, expectedRevision?: number): Promise<void> {
    await this.repo.transaction(async (trx) => {
      const row = await this.repo.lockNetwork(trx, id);
      if (!row || !Networks.visibleTo(caller, row)) throw new NetworkNotFound(id);
      if (!ownsOrAdmin(caller, row.project_id)) throw new PolicyNotAuthorized("delete_network");
      checkRevision(expectedRevision, row.revision_number);
      const ports = await this.repo.portsOn(id, trx);
      if (ports.some((p) => p.device_owner !== "network:dhcp")) throw new NetworkInUse(id);
      for (const port of ports) {
        await this.repo.deletePort(port.id, trx);
        await this.repo.replaceTags(port.id, [], trx);
      }
      for (const subnet of await this.repo.subnetsOf([id], trx)) {
        await this.repo.deleteSubnet(subnet.id, trx);
        await this.repo.replaceTags(subnet.id, [], trx);
      }
      await this.repo.replaceTags(id, [], trx);
      await this.repo.deleteNetwork(id, trx);
    });
  }
}

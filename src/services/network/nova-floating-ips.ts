import type { AuthContext } from "../context.js";
import { Conflict, Forbidden, InvalidInput, NotFound, ServiceError } from "../errors.js";
import { OverQuota } from "./errors.js";
import type { FloatingIpRecord } from "./floating-ips.js";
import { parseIp } from "./ip.js";
import { ExternalIpAddressExhausted } from "./l3-errors.js";
import type { NetworkRecord } from "./networks.js";
import type { NeutronService } from "./neutron-service.js";

/**
 * nova's default_floating_pool: the pool `POST /os-floating-ips` takes when none is named.
 * nova's own default is "nova"; devstack, whose layout nimbus bootstraps, sets its public
 * network's name.
 */
export const DEFAULT_FLOATING_POOL = "public";

/** A floating IP as nova's os-floating-ips shows it. */
export interface NovaFloatingIp {
  fixed_ip: string | null;
  id: string;
  instance_id: string | null;
  ip: string;
  pool: string;
}

/** The server side of an association: the fixed addresses nova's network info cache holds. */
export interface InstanceAddresses {
  uuid: string;
  fixedIps: readonly string[];
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * Nova's floating IP proxy over Neutron (nova/api/openstack/compute/floating_ips.py and the
 * floating IP half of nova/network/neutron.py): pools are the external networks, a project's
 * floating IPs in nova's view, allocation from a pool, and the addFloatingIp and
 * removeFloatingIp actions as associations of a server's fixed address.
 */
export class NovaFloatingIps {
  constructor(private readonly neutron: NeutronService) {}

  /** The external networks the caller sees, by name (or id when it has none). */
  async pools(ctx: AuthContext): Promise<string[]> {
    const networks = await this.neutron.networks.list(ctx);
    return networks.filter((n) => n.external).map((n) => n.name || n.id);
  }

  async list(ctx: AuthContext): Promise<NovaFloatingIp[]> {
    const fips = (await this.neutron.floatingIps.list(ctx)).filter((f) => f.project_id === ctx.projectId);
    return Promise.all(fips.map((f) => this.#view(ctx, f)));
  }

  async show(ctx: AuthContext, id: string): Promise<NovaFloatingIp> {
    return this.#view(ctx, await this.#byId(ctx, id));
  }

  /** nova's allocate_floating_ip: a new floating IP on the pool named by name or id, or the default one. */
  async allocate(ctx: AuthContext, pool: string | null | undefined): Promise<NovaFloatingIp> {
    const poolId = await this.#poolId(ctx, pool || DEFAULT_FLOATING_POOL);
    let record: FloatingIpRecord;
    try {
      record = await this.neutron.floatingIps.create(ctx, { floating_network_id: poolId });
    } catch (error) {
      if (error instanceof ExternalIpAddressExhausted)
        throw new NotFound(
          pool ? `No more floating IPs in pool ${pool}.` : "No more floating IPs available.",
        );
      if (error instanceof OverQuota)
        throw new Forbidden(pool ? `IP allocation over quota in pool ${pool}.` : "IP allocation over quota.");
      throw error;
    }
    return this.#view(ctx, record);
  }

  /** nova's disassociate_and_release_floating_ip: deleted, wherever it was associated. */
  async release(ctx: AuthContext, id: string): Promise<void> {
    const fip = await this.#byId(ctx, id);
    await this.neutron.floatingIps.delete(ctx, fip.id);
  }

  /** The server a floating address's port belongs to, if any (nova's get_instance_id_by_floating_address). */
  async instanceOf(ctx: AuthContext, address: string): Promise<string | undefined> {
    const fip = await this.#byAddress(ctx, address);
    if (!fip.port_id) return undefined;
    return fip.port_details?.device_id || undefined;
  }

  /**
   * addFloatingIp: the floating address onto the server's fixed address named, or its first
   * fixed IPv4 address, through the port holding it.
   */
  async associate(
    ctx: AuthContext,
    instance: InstanceAddresses,
    address: string,
    fixedAddress: string | undefined,
  ): Promise<void> {
    if (instance.fixedIps.length === 0) throw new InvalidInput("Instance network is not ready yet");
    let fixed = fixedAddress;
    if (fixed !== undefined) {
      if (!instance.fixedIps.includes(fixed))
        throw new InvalidInput("Specified fixed address not assigned to instance");
    } else {
      fixed = instance.fixedIps.find((ip) => parseIp(ip)?.version === 4);
      if (fixed === undefined)
        throw new InvalidInput(
          `Unable to associate floating IP ${address} to any fixed IPs for instance ${instance.uuid}. Instance has no fixed IPv4 addresses to associate.`,
        );
    }
    const failed = (reason: string) =>
      new InvalidInput(
        `Unable to associate floating IP ${address} to fixed IP ${fixed} for instance ${instance.uuid}. Error: ${reason}`,
      );
    const portId = await this.#portHolding(ctx, instance.uuid, fixed);
    if (portId === undefined) throw failed(`Fixed IP not found for address ${fixed}.`);
    const fip = await this.#byAddress(ctx, address).catch((error) => {
      if (error instanceof NotFound) throw new NotFound("floating IP not found");
      throw error;
    });
    try {
      await this.neutron.floatingIps.update(ctx, fip.id, { port_id: portId, fixed_ip_address: fixed });
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      if (error.category === "conflict") throw new InvalidInput(error.message);
      throw failed(error.message);
    }
  }

  /** removeFloatingIp: only from the server it is associated with. */
  async disassociate(ctx: AuthContext, instanceUuid: string, address: string): Promise<void> {
    const fip = await this.#byAddress(ctx, address);
    if (!fip.port_id || fip.port_details?.device_id !== instanceUuid)
      throw new Conflict(`Floating IP ${address} is not associated with instance ${instanceUuid}.`);
    await this.neutron.floatingIps.update(ctx, fip.id, { port_id: null });
  }

  async #byId(ctx: AuthContext, id: string): Promise<FloatingIpRecord> {
    try {
      return await this.neutron.floatingIps.show(ctx, id);
    } catch (error) {
      if (error instanceof NotFound) throw new NotFound(`Floating IP not found for ID ${id}`);
      throw error;
    }
  }

  /** nova's _get_floating_ip_by_address, among the floating IPs the caller sees. */
  async #byAddress(ctx: AuthContext, address: string): Promise<FloatingIpRecord> {
    const found = address
      ? (await this.neutron.floatingIps.list(ctx)).filter((f) => f.floating_ip_address === address)
      : [];
    if (found.length === 0) throw new NotFound(`Floating IP not found for address ${address}.`);
    if (found.length > 1) throw new Conflict(`Multiple floating IPs are found for address ${address}.`);
    return found[0]!;
  }

  /** nova's _get_floating_ip_pool_id_by_name_or_id among the external networks. */
  async #poolId(ctx: AuthContext, nameOrId: string): Promise<string> {
    const external = (await this.neutron.networks.list(ctx)).filter((n: NetworkRecord) => n.external);
    const matches = external.filter((n) => (UUID.test(nameOrId) ? n.id === nameOrId : n.name === nameOrId));
    if (matches.length === 0) throw new NotFound("Floating IP pool not found.");
    if (matches.length > 1)
      throw new InvalidInput(`Multiple floating IP pools matches found for name '${nameOrId}'`);
    return matches[0]!.id;
  }

  /** The server's port holding a fixed address (nova's _get_port_id_by_fixed_address). */
  async #portHolding(ctx: AuthContext, instanceUuid: string, address: string): Promise<string | undefined> {
    const ports = (await this.neutron.ports.list(ctx)).filter((p) => p.device_id === instanceUuid);
    return ports.find((p) => p.fixed_ips.some((ip) => ip.ip_address === address))?.id;
  }

  async #view(ctx: AuthContext, fip: FloatingIpRecord): Promise<NovaFloatingIp> {
    const network = await this.neutron.networks.show(ctx, fip.floating_network_id).catch(() => undefined);
    return {
      fixed_ip: fip.fixed_ip_address,
      id: fip.id,
      instance_id: fip.port_details ? fip.port_details.device_id : null,
      ip: fip.floating_ip_address,
      pool: network?.name || fip.floating_network_id,
    };
  }
}

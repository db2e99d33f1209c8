import type { Kysely, Transaction } from "kysely";
import type { InstanceAddress } from "./instance-record.js";
import type { Database, InstancePortTable } from "./schema.js";

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Which ports a server has (nova's network info cache), and the addresses they give it:
 * the server views read these, so they always show what Neutron holds.
 */
export class InstancePortRepository {
  constructor(readonly db: Kysely<Database>) {}

  insert(row: InstancePortTable, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("instance_ports").values(row).execute();
  }

  /** A server's ports in NIC order. */
  portsOf(instanceUuid: string, ex: Executor = this.db): Promise<InstancePortTable[]> {
    return ex
      .selectFrom("instance_ports")
      .selectAll()
      .where("instance_uuid", "=", instanceUuid)
      .orderBy("position")
      .execute();
  }

  /** The server a port is plugged into, if any. */
  findByPort(portId: string, ex: Executor = this.db): Promise<InstancePortTable | undefined> {
    return ex.selectFrom("instance_ports").selectAll().where("port_id", "=", portId).executeTakeFirst();
  }

  /** Marks a server's ports plugged in: their addresses become the server's. */
  plug(instanceUuid: string, ex: Executor = this.db): Promise<unknown> {
    return ex
      .updateTable("instance_ports")
      .set({ plugged: 1 })
      .where("instance_uuid", "=", instanceUuid)
      .execute();
  }

  remove(portId: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("instance_ports").where("port_id", "=", portId).execute();
  }

  /** The next NIC position of a server. */
  async nextPosition(instanceUuid: string, ex: Executor = this.db): Promise<number> {
    const row = await ex
      .selectFrom("instance_ports")
      .select((eb) => eb.fn.max("position").as("last"))
      .where("instance_uuid", "=", instanceUuid)
      .executeTakeFirst();
    return row?.last === null || row?.last === undefined ? 0 : Number(row.last) + 1;
  }

  /**
   * The security group names of each server's ports, once per port holding a group (nova's
   * get_instances_security_groups_bindings), in NIC order; a group without a name shows its id.
   */
  async securityGroupsOf(uuids: readonly string[], ex: Executor = this.db): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (uuids.length === 0) return out;
    const rows = await ex
      .selectFrom("instance_ports as ip")
      .innerJoin("port_security_groups as psg", "psg.port_id", "ip.port_id")
      .innerJoin("security_groups as g", "g.id", "psg.security_group_id")
      .select(["ip.instance_uuid", "g.id", "g.name"])
      .where("ip.instance_uuid", "in", uuids)
      .orderBy("ip.position")
      .orderBy("g.name")
      .orderBy("g.id")
      .execute();
    for (const row of rows)
      out.set(row.instance_uuid, [...(out.get(row.instance_uuid) ?? []), row.name || row.id]);
    return out;
  }

  /**
   * The addresses of each server (fixed, each followed by the floating IPs mapped to it), by NIC order and within a NIC IPv4 first, then by subnet age, keyed
   * by the network's name as nova's `addresses` are.
   */
  async addressesOf(
    uuids: readonly string[],
    ex: Executor = this.db,
  ): Promise<Map<string, InstanceAddress[]>> {
    const out = new Map<string, InstanceAddress[]>();
    if (uuids.length === 0) return out;
    const rows = await ex
      .selectFrom("instance_ports as ip")
      .innerJoin("ports as p", "p.id", "ip.port_id")
      .innerJoin("port_ip_allocations as a", "a.port_id", "p.id")
      .innerJoin("subnets as s", "s.id", "a.subnet_id")
      .innerJoin("networks as n", "n.id", "p.network_id")
      .select([
        "ip.instance_uuid",
        "ip.port_id",
        "p.mac_address",
        "a.ip_address",
        "s.ip_version",
        "n.name as network",
      ])
      .where("ip.instance_uuid", "in", uuids)
      .where("ip.plugged", "=", 1)
      .orderBy("ip.position")
      .orderBy("s.ip_version")
      .orderBy("s.created_at")
      .orderBy("s.id")
      .execute();
    const floating = await ex
      .selectFrom("floatingips as f")
      .innerJoin("instance_ports as ip", "ip.port_id", "f.fixed_port_id")
      .select(["ip.instance_uuid", "f.fixed_port_id", "f.fixed_ip_address", "f.floating_ip_address"])
      .where("ip.instance_uuid", "in", uuids)
      .where("ip.plugged", "=", 1)
      .orderBy("f.floating_ip_address")
      .execute();
    for (const row of rows) {
      const list = out.get(row.instance_uuid) ?? [];
      const entry = {
        network: row.network,
        mac: row.mac_address,
        portId: row.port_id,
      };
      list.push({ ...entry, address: row.ip_address, version: row.ip_version === 6 ? 6 : 4, type: "fixed" });
      // a floating IP follows the fixed address it maps to, in that address's network
      for (const f of floating)
        if (f.fixed_port_id === row.port_id && f.fixed_ip_address === row.ip_address)
          list.push({ ...entry, address: f.floating_ip_address, version: 4, type: "floating" });
      out.set(row.instance_uuid, list);
    }
    return out;
  }
}

import type { Kysely, Transaction } from "kysely";
import type { InstanceAddress } from "../services/compute/instance.js";
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
   * The fixed addresses of each server, by NIC order and within a NIC IPv4 first, then by subnet age, keyed
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
    for (const row of rows) {
      const list = out.get(row.instance_uuid) ?? [];
      list.push({
        network: row.network,
        address: row.ip_address,
        mac: row.mac_address,
        version: row.ip_version === 6 ? 6 : 4,
        portId: row.port_id,
      });
      out.set(row.instance_uuid, list);
    }
    return out;
  }
}

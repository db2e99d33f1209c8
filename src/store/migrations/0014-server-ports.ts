import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";

// Servers take their addresses from Neutron ports (issue 7): the built-in allocator's
// fixed_ips table gives way to instance_ports, which says which ports a server has, in
// the order its NICs were asked for, and which of them nimbus made for it (deleted with
// the server) and which the user brought (preserve_on_delete: only unbound), as Nova's
// network info cache records them.
//
// Existing servers keep their addresses: each fixed_ips row becomes a port on a network
// that stands for the old built-in one (same id, name "private", 10.0.0.0/16, shared,
// since every project allocated from it), with the same MAC and address.

/** The built-in network's id and range, as the old allocator had them. */
const LEGACY_NETWORK = {
  id: "2a4f5f4b-6f1c-4bd6-9d7e-6a9f0c1e2b3d",
  cidr: "10.0.0.0/16",
  gateway: "10.0.0.1",
};

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("instance_ports")
    .addColumn("port_id", "text", (c) => c.primaryKey().references("ports.id").onDelete("cascade"))
    .addColumn("instance_uuid", "text", (c) => c.notNull())
    .addColumn("preserve_on_delete", "integer", (c) => c.notNull())
    .addColumn("tag", "text")
    .addColumn("position", "integer", (c) => c.notNull())
    // 1 once the build plugged it in: nova's info cache, and so the server's addresses,
    // fill only then, not while the server is still being scheduled
    .addColumn("plugged", "integer", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("instance_ports_instance")
    .on("instance_ports")
    .column("instance_uuid")
    .execute();

  const legacy = await db
    .selectFrom("fixed_ips")
    .innerJoin("instances", "instances.uuid", "fixed_ips.instance_uuid")
    .select([
      "fixed_ips.address",
      "fixed_ips.mac_address",
      "fixed_ips.instance_uuid",
      "instances.project_id",
      "instances.host",
      "instances.availability_zone",
    ])
    .orderBy("fixed_ips.address")
    .execute();
  if (legacy.length > 0) {
    const now = new Date().toISOString().slice(0, 19).concat("Z");
    const standard = { description: "", revision_number: 1, created_at: now, updated_at: now };
    await db
      .insertInto("networks")
      .values({
        id: LEGACY_NETWORK.id,
        project_id: "",
        name: "private",
        admin_state_up: 1,
        shared: 1,
        external: 0,
        mtu: 1500,
        status: "ACTIVE",
        availability_zone_hints: "[]",
        network_type: "local",
        physical_network: null,
        segmentation_id: null,
        ...standard,
      })
      .execute();
    const subnetId = randomUUID();
    await db
      .insertInto("subnets")
      .values({
        id: subnetId,
        network_id: LEGACY_NETWORK.id,
        project_id: "",
        name: "private-subnet",
        ip_version: 4,
        cidr: LEGACY_NETWORK.cidr,
        gateway_ip: LEGACY_NETWORK.gateway,
        enable_dhcp: 1,
        ipv6_ra_mode: null,
        ipv6_address_mode: null,
        allocation_pools: JSON.stringify([{ start: "10.0.0.2", end: "10.0.255.254" }]),
        dns_nameservers: "[]",
        host_routes: "[]",
        ...standard,
      })
      .execute();
    const positions = new Map<string, number>();
    for (const row of legacy) {
      const portId = randomUUID();
      const position = positions.get(row.instance_uuid) ?? 0;
      positions.set(row.instance_uuid, position + 1);
      const mac =
        row.mac_address ??
        `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
      await db
        .insertInto("ports")
        .values({
          id: portId,
          network_id: LEGACY_NETWORK.id,
          project_id: row.project_id,
          name: "",
          mac_address: mac,
          admin_state_up: 1,
          status: row.host ? "ACTIVE" : "DOWN",
          device_id: row.instance_uuid,
          device_owner: `compute:${row.availability_zone ?? "nova"}`,
          port_security_enabled: 1,
          allowed_address_pairs: "[]",
          binding_host_id: row.host ?? "",
          binding_vnic_type: "normal",
          binding_vif_type: row.host ? "ovs" : "unbound",
          ...standard,
        })
        .execute();
      await db
        .insertInto("port_ip_allocations")
        .values({ port_id: portId, subnet_id: subnetId, ip_address: row.address })
        .execute();
      await db
        .insertInto("instance_ports")
        .values({
          port_id: portId,
          instance_uuid: row.instance_uuid,
          preserve_on_delete: 0,
          tag: null,
          position,
          plugged: 1,
        })
        .execute();
    }
  }
  await db.schema.dropTable("fixed_ips").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("instance_ports").execute();
  await db.schema
    .createTable("fixed_ips")
    .addColumn("address", "text", (c) => c.primaryKey())
    .addColumn("network", "text", (c) => c.notNull())
    .addColumn("instance_uuid", "text", (c) => c.references("instances.uuid").onDelete("set null"))
    .addColumn("mac_address", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("fixed_ips_instance").on("fixed_ips").column("instance_uuid").execute();
}

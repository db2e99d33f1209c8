/**
 * End to end with openstacksdk, the library under Ansible's openstack.cloud collection
 * and many scripts: its cloud layer (create_server with wait, delete_server with wait)
 * and its proxies, against a real `nimbus serve`, configured only by nimbus's clouds.yaml.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Clients, haveClients, type NimbusProcess, startNimbusProcess } from "./support.js";

const SCRIPT = path.join(import.meta.dirname, "sdk", "lifecycle.py");
const NETWORKING = path.join(import.meta.dirname, "sdk", "networking.py");
const IMAGES = path.join(import.meta.dirname, "sdk", "images.py");

describe.runIf(haveClients)("openstacksdk against nimbus serve", () => {
  let nimbus: NimbusProcess;

  beforeAll(async () => {
    nimbus = await startNimbusProcess();
  });

  afterAll(async () => {
    await nimbus?.stop();
  });

  it("drives a server's life: boot and wait, find, reboot, stop/start, resize, metadata, snapshot, delete", async () => {
    const out = await new Clients(nimbus.dataDir, "nimbus").python(SCRIPT);
    const seen = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(seen.flavors).toEqual([
      "m1.large",
      "m1.medium",
      "m1.micro",
      "m1.nano",
      "m1.small",
      "m1.tiny",
      "m1.xlarge",
    ]);
    expect(seen.keypair).toEqual({ name: "sdk-key", type: "ssh", has_private_key: true });
    expect(seen.created).toEqual({
      status: "ACTIVE",
      private_v4: expect.stringMatching(/^10\.0\.\d+\.\d+$/),
      key_name: "sdk-key",
      metadata: { role: "test" },
      flavor: "m1.tiny",
    });
    expect(seen.found_by_name).toBe(true);
    expect(seen.listed).toEqual(["sdk-server"]);
    expect(seen.stopped_power_state).toBe(4);
    expect(seen.resized_flavor).toBe("m1.small");
    expect(seen.metadata).toEqual({ role: "test", color: "blue" });
    expect(seen.snapshot).toEqual({ status: "active", image_type: "snapshot" });
    expect(seen.missing).toBe(404);
    expect(seen.bad_flavor).toBe(400);
    expect(seen.deleted).toBe(true);
    expect(seen.after_delete).toEqual([]);
    expect(seen.limits).toBe(10);
  }, 240_000);

  it("boots with the cloud layer's defaults: a floating IP from public, released with delete_ips; network= names one", async () => {
    const out = await new Clients(nimbus.dataDir, "nimbus").python(NETWORKING);
    const seen = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(seen.auto_ip).toEqual({
      status: "ACTIVE",
      public_v4: expect.stringMatching(/^172\.24\.4\.\d+$/),
      private_v4: expect.stringMatching(/^10\.0\.\d+\.\d+$/),
      security_groups: ["default"],
    });
    expect(seen.floating_ips).toEqual([
      { address: seen.auto_ip.public_v4, fixed: seen.auto_ip.private_v4, attached: true },
    ]);
    expect(seen.deleted).toBe(true);
    expect(seen.floating_ips_after).toEqual([]);
    expect(seen.named).toEqual({ status: "ACTIVE", networks: ["private"], public_v4: "" });
    expect(seen.hostvars_groups).toEqual(["default"]);
  }, 240_000);
  it("lists and shows the cloud's images through nova's image proxy (compute.images, compute.get_image)", async () => {
    const out = await new Clients(nimbus.dataDir, "nimbus").python(IMAGES);
    const seen = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(seen).toEqual({
      listed: true,
      status: "ACTIVE",
      name: "cirros-0.6.2-x86_64-disk",
      size: expect.any(Number),
    });
  }, 120_000);
});

/**
 * OS-DCF:diskConfig stored as nova stores it (create, update, rebuild, resize; an image's
 * auto_disk_config decides when the request does not, and "disabled" refuses AUTO), and a
 * resize to a smaller root disk: accepted by the API, refused by the host, the server back
 * as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  expectFault,
  IMAGE_ID,
  SMALL,
  TINY,
} from "../../../test/compute-harness.js";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

const diskConfig = async (id: string) => (await h.show(id))["OS-DCF:diskConfig"];

/** Sets (or with null removes) the bootstrap image's auto_disk_config property. */
async function imageAutoDisk(value: string | null) {
  const r = await h.call({
    method: "PATCH",
    url: `/image/v2/images/${IMAGE_ID}`,
    as: "admin",
    headers: { "content-type": "application/openstack-images-v2.1-json-patch" },
    body: [
      value === null
        ? { op: "remove", path: "/auto_disk_config" }
        : { op: "add", path: "/auto_disk_config", value },
    ],
  });
  expect(r.status, r.text).toBe(200);
}

describe("OS-DCF:diskConfig", () => {
  it("is MANUAL unless asked for; AUTO at create is shown from the create answer on", async () => {
    const manual = await h.activeServer({ name: "dcf-manual" });
    expect(await diskConfig(manual)).toBe("MANUAL");
    const { id, response } = await h.createServer({
      name: "dcf-auto",
      server: { "OS-DCF:diskConfig": "AUTO" },
    });
    expect(response.json.server["OS-DCF:diskConfig"]).toBe("AUTO");
    await h.drain();
    expect(await diskConfig(id)).toBe("AUTO");
    const listed = await h.call({ url: "/servers/detail" });
    expect(listed.json.servers.find((s: { id: string }) => s.id === id)["OS-DCF:diskConfig"]).toBe("AUTO");
  });

  it("changes with update, rebuild and resize (a resize without it is MANUAL, as nova's)", async () => {
    const id = await h.activeServer({ name: "dcf-changes" });
    const updated = await h.call({
      method: "PUT",
      url: `/servers/${id}`,
      body: { server: { "OS-DCF:diskConfig": "AUTO" } },
    });
    expect(updated.json.server["OS-DCF:diskConfig"]).toBe("AUTO");
    expect(
      (await h.action(id, { rebuild: { imageRef: IMAGE_ID, "OS-DCF:diskConfig": "MANUAL" } })).status,
    ).toBe(202);
    await h.drain();
    expect(await diskConfig(id)).toBe("MANUAL");
    expect((await h.action(id, { resize: { flavorRef: SMALL, "OS-DCF:diskConfig": "AUTO" } })).status).toBe(
      202,
    );
    await h.drain();
    expect(await diskConfig(id)).toBe("AUTO");
    expect((await h.action(id, { confirmResize: null })).status).toBe(204);
    await h.drain();
    expect((await h.action(id, { resize: { flavorRef: "3" } })).status).toBe(202);
    await h.drain();
    expect(await diskConfig(id)).toBe("MANUAL");
  });

  it("takes the image's auto_disk_config when not asked; 'disabled' refuses AUTO", async () => {
    await imageAutoDisk("True");
    try {
      const inherited = await h.activeServer({ name: "dcf-inherited" });
      expect(await diskConfig(inherited)).toBe("AUTO");
      await imageAutoDisk("disabled");
      const refused = await h.call({
        method: "POST",
        url: "/servers",
        body: {
          server: {
            name: "dcf-refused",
            imageRef: IMAGE_ID,
            flavorRef: TINY,
            networks: "none",
            "OS-DCF:diskConfig": "AUTO",
          },
        },
        version: "2.37",
      });
      expectFault(refused, 400, `Requested image ${IMAGE_ID} has automatic disk resize disabled.`);
      // a rebuild onto it may not ask for AUTO either; without asking, the server is MANUAL
      expectFault(
        await h.action(inherited, { rebuild: { imageRef: IMAGE_ID, "OS-DCF:diskConfig": "AUTO" } }),
        400,
        `Requested image ${IMAGE_ID} has automatic disk resize disabled.`,
      );
      expect((await h.action(inherited, { rebuild: { imageRef: IMAGE_ID } })).status).toBe(202);
      await h.drain();
      expect(await diskConfig(inherited)).toBe("MANUAL");
    } finally {
      await imageAutoDisk(null);
    }
  });

  it("accepts only AUTO and MANUAL", async () => {
    const r = await h.call({
      method: "POST",
      url: "/servers",
      body: {
        server: {
          name: "dcf-bad",
          imageRef: IMAGE_ID,
          flavorRef: TINY,
          networks: "none",
          "OS-DCF:diskConfig": "auto",
        },
      },
      version: "2.37",
    });
    expect(r.status).toBe(400);
  });
});

describe("resize to a smaller root disk", () => {
  it("is accepted (202); the host refuses it: ACTIVE again with its flavor, a fault, the action and migration failed", async () => {
    const id = await h.activeServer({ name: "shrink", server: { flavorRef: SMALL } });
    const r = await h.action(id, { resize: { flavorRef: TINY } });
    expect(r.status, r.text).toBe(202);
    await h.drain();
    const shown = await h.show(id, { as: "admin", version: "2.47" });
    expect([shown.status, shown["OS-EXT-STS:task_state"], shown.flavor.original_name]).toEqual([
      "ACTIVE",
      null,
      "m1.small",
    ]);
    // nova shows a fault only in ERROR: the refusal is in the event's details (2.84)
    expect(shown).not.toHaveProperty("fault");
    const actions = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
    const newest = actions.json.instanceActions[0];
    expect([newest.action, newest.message]).toEqual(["resize", "Error"]);
    const detail = await h.call({
      url: `/servers/${id}/os-instance-actions/${newest.request_id}`,
      as: "admin",
    });
    expect(
      detail.json.instanceAction.events.map((e: { event: string; result: string }) => [e.event, e.result]),
    ).toEqual([
      ["conductor_migrate_server", "Success"],
      ["cold_migrate", "Success"],
      ["compute_prep_resize", "Success"],
      ["compute_resize_instance", "Error"],
    ]);
    const migrations = await h.call({
      url: `/os-migrations?instance_uuid=${id}`,
      as: "admin",
      version: "2.23",
    });
    expect(migrations.json.migrations.map((m: { status: string }) => m.status)).toEqual(["error"]);
  });

  it("to a flavor of no disk is refused at once (nimbus has no volume-backed servers)", async () => {
    const flavor = await h.call({
      method: "POST",
      url: "/flavors",
      as: "admin",
      body: { flavor: { name: "diskless", ram: 512, vcpus: 1, disk: 0 } },
    });
    expect(flavor.status, flavor.text).toBe(200);
    const id = await h.activeServer({ name: "to-zero" });
    expectFault(
      await h.action(id, { resize: { flavorRef: flavor.json.flavor.id } }),
      400,
      "Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.",
    );
  });
});

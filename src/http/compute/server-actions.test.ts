/**
 * `POST /servers/{id}/action` through inject(): every action nimbus implements, through
 * the states it passes (the task engine is stopped to observe the intermediate ones), the
 * state and lock rules with nova's 409 messages, policies, and the action-specific bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Caller,
  type ComputeHarness,
  computeHarness,
  IMAGE_ID,
  keysOf,
  type Response,
  SMALL,
  sample,
  TINY,
} from "../../../test/compute-harness.js";

const NANO = "42";
const MEDIUM = "3";
const BASE = "http://localhost:80";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

function expectConflict(r: Response, message: string) {
  expect(r.status).toBe(409);
  expect(r.json).toEqual({ conflictingRequest: { code: 409, message } });
}

const invalidState = (action: string, id: string, attr: string, value: string) =>
  `Cannot '${action}' instance ${id} while it is in ${attr} ${value}`;
/** nova's plainer message when the server is in no state it could name (never launched). */
const neverLaunched = (action: string, id: string) => `Instance ${id} is in an invalid state for '${action}'`;

/** Status, vm_state, task_state and power_state of a server, as the API shows them. */
async function states(id: string, as: Caller = "demo") {
  const s = await h.show(id, { as });
  return {
    status: s.status,
    vm: s["OS-EXT-STS:vm_state"],
    task: s["OS-EXT-STS:task_state"],
    power: s["OS-EXT-STS:power_state"],
  };
}

describe("reboot", () => {
  let id: string;
  beforeAll(async () => {
    id = await h.activeServer({ name: "reboot" });
  });

  it("SOFT: 202, REBOOT while it runs, then ACTIVE", async () => {
    await h.withEngineStopped(async () => {
      const r = await h.action(id, { reboot: { type: "SOFT" } });
      expect(r.status).toBe(202);
      expect(r.text).toBe("");
      expect(await states(id)).toEqual({ status: "REBOOT", vm: "active", task: "rebooting", power: 1 });
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    const console = await h.action(id, { "os-getConsoleOutput": {} });
    expect(console.json.output).toContain("Reboot requested by ACPI");
  });

  it("HARD: HARD_REBOOT while it runs, then ACTIVE", async () => {
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { reboot: { type: "HARD" } })).status).toBe(202);
      expect(await states(id)).toMatchObject({ status: "HARD_REBOOT", task: "rebooting_hard" });
    });
    expect(await states(id)).toMatchObject({ status: "ACTIVE", task: null });
  });

  it("accepts the type in any case nova's schema allows", async () => {
    expect((await h.action(id, { reboot: { type: "soft" } })).status).toBe(202);
    await h.drain();
  });

  it("a HARD reboot may follow a SOFT one still in progress, not the other way round", async () => {
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { reboot: { type: "SOFT" } })).status).toBe(202);
      expectConflict(
        await h.action(id, { reboot: { type: "SOFT" } }),
        invalidState("reboot", id, "task_state", "rebooting"),
      );
      expect((await h.action(id, { reboot: { type: "HARD" } })).status).toBe(202);
      expect((await states(id)).status).toBe("HARD_REBOOT");
      expectConflict(
        await h.action(id, { reboot: { type: "SOFT" } }),
        invalidState("reboot", id, "task_state", "rebooting_hard"),
      );
    });
    expect((await states(id)).status).toBe("ACTIVE");
  });

  it("SOFT is refused on a stopped server; HARD starts it", async () => {
    expect((await h.action(id, { "os-stop": null })).status).toBe(202);
    await h.drain();
    expectConflict(
      await h.action(id, { reboot: { type: "SOFT" } }),
      invalidState("reboot", id, "vm_state", "stopped"),
    );
    expect((await h.action(id, { reboot: { type: "HARD" } })).status).toBe(202);
    await h.drain();
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
  });
});

describe("os-stop and os-start", () => {
  it("stop: ACTIVE (powering-off) → SHUTOFF; start: SHUTOFF (powering-on) → ACTIVE", async () => {
    const id = await h.activeServer({ name: "power" });
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { "os-stop": null })).status).toBe(202);
      expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: "powering-off", power: 1 });
    });
    expect(await states(id)).toEqual({ status: "SHUTOFF", vm: "stopped", task: null, power: 4 });
    expectConflict(await h.action(id, { "os-stop": null }), invalidState("stop", id, "vm_state", "stopped"));

    await h.withEngineStopped(async () => {
      expect((await h.action(id, { "os-start": null })).status).toBe(202);
      expect(await states(id)).toEqual({ status: "SHUTOFF", vm: "stopped", task: "powering-on", power: 4 });
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expectConflict(await h.action(id, { "os-start": null }), invalidState("start", id, "vm_state", "active"));
  });
});

describe("pause and unpause", () => {
  it("pause: PAUSED (power 3); unpause: ACTIVE; each refused in the other's state", async () => {
    const id = await h.activeServer({ name: "pause" });
    expectConflict(await h.action(id, { unpause: null }), invalidState("unpause", id, "vm_state", "active"));
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { pause: null })).status).toBe(202);
      expect((await states(id)).task).toBe("pausing");
    });
    expect(await states(id)).toEqual({ status: "PAUSED", vm: "paused", task: null, power: 3 });
    expectConflict(await h.action(id, { pause: null }), invalidState("pause", id, "vm_state", "paused"));
    expectConflict(await h.action(id, { "os-stop": null }), invalidState("stop", id, "vm_state", "paused"));
    expect((await h.action(id, { unpause: null })).status).toBe(202);
    await h.drain();
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
  });
});

describe("suspend and resume", () => {
  it("suspend: SUSPENDED (power 7); resume: ACTIVE; each refused in the other's state", async () => {
    const id = await h.activeServer({ name: "suspend" });
    expectConflict(await h.action(id, { resume: null }), invalidState("resume", id, "vm_state", "active"));
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { suspend: null })).status).toBe(202);
      expect((await states(id)).task).toBe("suspending");
    });
    expect(await states(id)).toEqual({ status: "SUSPENDED", vm: "suspended", task: null, power: 7 });
    expectConflict(
      await h.action(id, { suspend: null }),
      invalidState("suspend", id, "vm_state", "suspended"),
    );
    expectConflict(await h.action(id, { pause: null }), invalidState("pause", id, "vm_state", "suspended"));
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { resume: null })).status).toBe(202);
      expect((await states(id)).task).toBe("resuming");
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
  });
});

describe("state rules", () => {
  it("refuses an action while another task runs (task_state)", async () => {
    const id = await h.activeServer({ name: "busy" });
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { "os-stop": null })).status).toBe(202);
      expectConflict(
        await h.action(id, { pause: null }),
        invalidState("pause", id, "task_state", "powering-off"),
      );
      expectConflict(
        await h.action(id, { resize: { flavorRef: SMALL } }),
        invalidState("resize", id, "task_state", "powering-off"),
      );
      expectConflict(
        await h.action(id, { rebuild: { imageRef: IMAGE_ID } }),
        invalidState("rebuild", id, "task_state", "powering-off"),
      );
    });
    expect((await states(id)).status).toBe("SHUTOFF");
  });

  it("refuses actions on a server still in BUILD; delete is allowed", async () => {
    await h.withEngineStopped(async () => {
      const { id } = await h.createServer({ name: "building" });
      for (const [body, action] of [
        [{ reboot: { type: "SOFT" } }, "reboot"],
        [{ "os-stop": null }, "stop"],
        [{ pause: null }, "pause"],
        [{ suspend: null }, "suspend"],
        [{ resize: { flavorRef: SMALL } }, "resize"],
        [{ rebuild: { imageRef: IMAGE_ID } }, "rebuild"],
        [{ createImage: { name: "snap" } }, "createImage"],
      ] as const) {
        expectConflict(await h.action(id, body), invalidState(action, id, "vm_state", "building"));
      }
      const console = await h.action(id, { "os-getConsoleOutput": {} });
      expectConflict(console, `Instance ${id} is not ready`);
      expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(204);
    });
  });
});

describe("resize, confirmResize and revertResize", () => {
  const flavorName = async (id: string) => (await h.show(id, { version: "2.47" })).flavor.original_name;

  it("resize → RESIZE → VERIFY_RESIZE with the new flavor; confirm keeps it (204)", async () => {
    const id = await h.activeServer({ name: "resize" });
    expectConflict(
      await h.action(id, { confirmResize: null }),
      invalidState("confirmResize", id, "vm_state", "active"),
    );
    expectConflict(
      await h.action(id, { revertResize: null }),
      invalidState("revertResize", id, "vm_state", "active"),
    );
    await h.withEngineStopped(async () => {
      const r = await h.action(id, { resize: { flavorRef: SMALL } });
      expect(r.status).toBe(202);
      expect(r.text).toBe("");
      expect(await states(id)).toMatchObject({ status: "RESIZE", vm: "active", task: "resize_prep" });
    });
    expect(await states(id)).toEqual({ status: "VERIFY_RESIZE", vm: "resized", task: null, power: 1 });
    expect(await flavorName(id)).toBe("m1.small");
    expectConflict(
      await h.action(id, { resize: { flavorRef: MEDIUM } }),
      invalidState("resize", id, "vm_state", "resized"),
    );

    const confirmed = await h.action(id, { confirmResize: null });
    expect(confirmed.status).toBe(204);
    expect(confirmed.text).toBe("");
    await h.drain();
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect(await flavorName(id)).toBe("m1.small");
    expect((await h.show(id)).flavor.id).toBe(SMALL);
  });

  it("revert → REVERT_RESIZE → ACTIVE with the old flavor", async () => {
    const id = await h.activeServer({ name: "revert" });
    expect((await h.action(id, { resize: { flavorRef: NANO } })).status).toBe(202);
    await h.drain();
    expect((await states(id)).status).toBe("VERIFY_RESIZE");
    expect(await flavorName(id)).toBe("m1.nano");
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { revertResize: null })).status).toBe(202);
      expect(await states(id)).toMatchObject({
        status: "REVERT_RESIZE",
        vm: "resized",
        task: "resize_reverting",
      });
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect(await flavorName(id)).toBe("m1.tiny");
  });

  it("a stopped server stays stopped through resize and confirm", async () => {
    const id = await h.activeServer({ name: "resize-stopped" });
    await h.action(id, { "os-stop": null });
    await h.drain();
    expect((await h.action(id, { resize: { flavorRef: SMALL } })).status).toBe(202);
    await h.drain();
    expect((await states(id)).status).toBe("VERIFY_RESIZE");
    expect((await h.action(id, { confirmResize: null })).status).toBe(204);
    await h.drain();
    expect(await states(id)).toEqual({ status: "SHUTOFF", vm: "stopped", task: null, power: 4 });
  });

  it("checks the server's state before the flavor (409, not 400, in the wrong state)", async () => {
    const id = await h.activeServer({ name: "resize-order", server: { flavorRef: SMALL } });
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { "os-stop": null })).status).toBe(202);
      // a smaller disk would be a 400, but nova's state guard runs first
      expectConflict(
        await h.action(id, { resize: { flavorRef: TINY } }),
        invalidState("resize", id, "task_state", "powering-off"),
      );
    });
  });

  // a smaller disk is accepted and refused by the host: see disk-config.test.ts
  it("answers 400 for the same flavor or an unknown flavor", async () => {
    const id = await h.activeServer({ name: "resize-bad", server: { flavorRef: SMALL } });
    const same = await h.action(id, { resize: { flavorRef: SMALL } });
    expect(same.status).toBe(400);
    expect(same.json.badRequest.message).toBe("When resizing, instances must change flavor!");
    expect((await h.action(id, { resize: { flavorRef: "999" } })).status).toBe(400);
    expect((await h.action(id, { resize: {} })).status).toBe(400);
    expect((await states(id)).status).toBe("ACTIVE");
  });
});

describe("rebuild", () => {
  it("answers 202 with the server (REBUILD) and the given adminPass, then runs the new spec", async () => {
    const id = await h.activeServer({ name: "rebuild", server: { metadata: { old: "1" } } });
    const r = await h.withEngineStopped(async () => {
      const r = await h.action(id, {
        rebuild: { imageRef: IMAGE_ID, name: "rebuilt", metadata: { fresh: "2" }, adminPass: "pw-rebuild" },
      });
      expect(await states(id)).toMatchObject({ status: "REBUILD", task: "rebuilding" });
      return r;
    });
    expect(r.status).toBe(202);
    expect(r.json.server).toMatchObject({
      id,
      name: "rebuilt",
      status: "REBUILD",
      metadata: { fresh: "2" },
      adminPass: "pw-rebuild",
      image: { id: IMAGE_ID },
    });
    const after = await h.show(id);
    expect(after).toMatchObject({ name: "rebuilt", status: "ACTIVE", metadata: { fresh: "2" } });
    expect(after["OS-EXT-STS:task_state"]).toBeNull();
  });

  it("generates an adminPass when none is given", async () => {
    const id = await h.activeServer({ name: "rebuild-pass" });
    const r = await h.action(id, { rebuild: { imageRef: IMAGE_ID } });
    expect(r.status).toBe(202);
    expect(r.json.server.adminPass).toMatch(/^\S{8,}$/);
    await h.drain();
  });

  it.each([
    ["2.1", "servers/server-action-rebuild-resp.json"],
    ["2.19", "servers/v2.19/server-action-rebuild-resp.json"],
    ["2.26", "servers/v2.26/server-action-rebuild-resp.json"],
    ["2.47", "servers/v2.47/server-action-rebuild-resp.json"],
    ["2.54", "servers/v2.54/server-action-rebuild-resp.json"],
    ["2.57", "servers/v2.57/server-action-rebuild-resp.json"],
    ["2.63", "servers/v2.63/server-action-rebuild-resp.json"],
    ["2.71", "servers/v2.71/server-action-rebuild-resp.json"],
    ["2.73", "servers/v2.73/server-action-rebuild-resp.json"],
    ["2.75", "servers/v2.75/server-action-rebuild-resp.json"],
  ])("answers nova's rebuild fields at %s (admin)", async (version, file) => {
    const id = await h.activeServer({ name: "rebuild-view", as: "admin" });
    const r = await h.action(id, { rebuild: { imageRef: IMAGE_ID } }, { as: "admin", version });
    expect(r.status).toBe(202);
    expect(keysOf(r.json.server)).toEqual(keysOf(sample(file).server));
    if (version !== "2.75") {
      // before 2.75, addresses carry no OS-EXT-IPS attributes
      const addresses = Object.values(r.json.server.addresses).flat() as object[];
      expect(addresses.length).toBeGreaterThan(0);
      for (const address of addresses) expect(keysOf(address)).toEqual(["addr", "version"]);
    }
    await h.drain();
  });

  it.each([
    ["2.90", "servers/v2.90/server-action-rebuild-resp.json"],
    ["2.96", "servers/v2.96/server-action-rebuild-resp.json"],
    ["2.98", "servers/v2.98/server-action-rebuild-resp.json"],
    ["2.100", "servers/v2.100/server-action-rebuild-resp.json"],
  ])("answers nova's rebuild fields at %s (member)", async (version, file) => {
    const id = await h.activeServer({ name: "rebuild-view" });
    const r = await h.action(id, { rebuild: { imageRef: IMAGE_ID } }, { version });
    expect(r.status).toBe(202);
    expect(keysOf(r.json.server)).toEqual(keysOf(sample(file).server));
    await h.drain();
  });

  it("shows key_name from 2.54 and user_data from 2.57 in the rebuild response", async () => {
    const kp = await h.call({
      method: "POST",
      url: "/os-keypairs",
      body: { keypair: { name: "rebuild-key" } },
    });
    expect(kp.status).toBe(200);
    const id = await h.activeServer({ name: "rebuild-key" });
    const withKey = await h.action(
      id,
      { rebuild: { imageRef: IMAGE_ID, key_name: "rebuild-key" } },
      { version: "2.54" },
    );
    expect(withKey.status).toBe(202);
    expect(withKey.json.server.key_name).toBe("rebuild-key");
    await h.drain();
    const userData = Buffer.from("#!/bin/sh\necho hi\n").toString("base64");
    const withData = await h.action(
      id,
      { rebuild: { imageRef: IMAGE_ID, user_data: userData } },
      { version: "2.57" },
    );
    expect(withData.status).toBe(202);
    expect(withData.json.server.user_data).toBe(userData);
    await h.drain();
    expect((await h.show(id, { as: "admin", version: "2.3" }))["OS-EXT-SRV-ATTR:user_data"]).toBe(userData);
  });

  it("recovers a server from ERROR and clears its fault", async () => {
    const id = await h.activeServer({ name: "rebuild-error" });
    expect((await h.action(id, { "os-resetState": { state: "error" } }, { as: "admin" })).status).toBe(202);
    expect((await states(id)).status).toBe("ERROR");
    expect((await h.action(id, { rebuild: { imageRef: IMAGE_ID } })).status).toBe(202);
    await h.drain();
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
  });

  it("answers 400 for an unknown image", async () => {
    const id = await h.activeServer({ name: "rebuild-bad" });
    const r = await h.action(id, { rebuild: { imageRef: "00000000-0000-4000-8000-000000000000" } });
    expect(r.status).toBe(400);
    expect((await states(id)).status).toBe("ACTIVE");
  });
});

describe("createImage", () => {
  let id: string;
  beforeAll(async () => {
    id = await h.activeServer({ name: "snapshot" });
  });

  it("before 2.45: 202, empty body, Location of the image, which becomes active", async () => {
    const r = await h.withEngineStopped(async () => {
      const r = await h.action(id, { createImage: { name: "snap-1", metadata: { purpose: "test" } } });
      expect(await states(id)).toMatchObject({ status: "ACTIVE", task: "image_snapshot" });
      expectConflict(
        await h.action(id, { createImage: { name: "snap-2" } }),
        invalidState("createImage", id, "task_state", "image_snapshot"),
      );
      return r;
    });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    const location = String(r.headers.location);
    expect(location).toMatch(new RegExp(`^${BASE}/image/v2/images/[0-9a-f-]{36}$`));
    expect((await states(id)).task).toBeNull();
    const image = await h.call({ url: location.replace(BASE, "") });
    expect(image.status).toBe(200);
    expect(image.json).toMatchObject({
      name: "snap-1",
      status: "active",
      purpose: "test",
      instance_uuid: id,
    });
  });

  it("lets the caller's metadata win over the keys nova sets, as nova's _create_image does", async () => {
    const r = await h.action(
      id,
      { createImage: { name: "snap-own-type", metadata: { image_type: "golden" } } },
      { version: "2.45" },
    );
    expect(r.status).toBe(202);
    await h.drain();
    const image = await h.call({ url: `/image/v2/images/${r.json.image_id}` });
    expect(image.json).toMatchObject({ image_type: "golden", instance_uuid: id });
  });

  it("from 2.45: a body with image_id and no Location", async () => {
    const r = await h.action(id, { createImage: { name: "snap-245" } }, { version: "2.45" });
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ image_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(r.headers.location).toBeUndefined();
    await h.drain();
    const image = await h.call({ url: `/image/v2/images/${r.json.image_id}` });
    expect(image.json).toMatchObject({ name: "snap-245", status: "active" });
  });

  it("works on a stopped server and answers 400 without a name", async () => {
    expect((await h.action(id, { createImage: {} })).status).toBe(400);
    await h.action(id, { "os-stop": null });
    await h.drain();
    expect((await h.action(id, { createImage: { name: "snap-stopped" } }, { version: "2.45" })).status).toBe(
      202,
    );
    await h.drain();
    expect((await states(id)).status).toBe("SHUTOFF");
  });
});

describe("lock and unlock", () => {
  let id: string;
  beforeAll(async () => {
    id = await h.activeServer({ name: "locked" });
  });

  it("a locked server refuses its member's lock-checked actions with 409; admin may act", async () => {
    expect((await h.action(id, { lock: null })).status).toBe(202);
    const shown = await h.show(id, { version: "2.73" });
    expect(shown.locked).toBe(true);
    expect(shown.locked_reason).toBeNull();
    const locked = `Instance ${id} is locked`;
    for (const body of [
      { reboot: { type: "SOFT" } },
      { reboot: { type: "HARD" } },
      { "os-stop": null },
      { pause: null },
      { suspend: null },
      { resize: { flavorRef: SMALL } },
      { rebuild: { imageRef: IMAGE_ID } },
      { trigger_crash_dump: null },
    ]) {
      expectConflict(await h.action(id, body, { version: "2.17" }), locked);
    }
    expectConflict(
      await h.call({ method: "POST", url: `/servers/${id}/metadata`, body: { metadata: { a: "b" } } }),
      locked,
    );
    expectConflict(await h.call({ method: "DELETE", url: `/servers/${id}` }), locked);

    // not lock-checked: console output, snapshots, renames
    expect((await h.action(id, { "os-getConsoleOutput": {} })).status).toBe(200);
    expect((await h.action(id, { createImage: { name: "locked-snap" } })).status).toBe(202);
    await h.drain();
    const renamed = await h.call({
      method: "PUT",
      url: `/servers/${id}`,
      body: { server: { name: "locked-2" } },
    });
    expect(renamed.status).toBe(200);

    expect((await h.action(id, { reboot: { type: "SOFT" } }, { as: "admin" })).status).toBe(202);
    await h.drain();

    expect((await h.action(id, { unlock: null })).status).toBe(202);
    expect((await h.show(id, { version: "2.9" })).locked).toBe(false);
    expect((await h.action(id, { pause: null })).status).toBe(202);
    await h.drain();
    expect((await h.action(id, { unpause: null })).status).toBe(202);
    await h.drain();
  });

  it("keeps a locked_reason given from 2.73 (ignored before) and drops it on unlock", async () => {
    // nova's lock schema before 2.73 accepts any body and never reads a reason from it
    const old = await h.action(id, { lock: { locked_reason: "ignored" } }, { version: "2.72" });
    expect(old.status).toBe(202);
    expect(await h.show(id, { version: "2.73" })).toMatchObject({ locked: true, locked_reason: null });
    expect((await h.action(id, { unlock: null })).status).toBe(202);

    expect((await h.action(id, { lock: { locked_reason: "" } }, { version: "2.73" })).status).toBe(400);
    expect((await h.action(id, { lock: { locked_reason: "maintenance" } }, { version: "2.73" })).status).toBe(
      202,
    );
    const shown = await h.show(id, { version: "2.73" });
    expect(shown).toMatchObject({ locked: true, locked_reason: "maintenance" });
    const listed = await h.call({ url: `/servers/detail?name=^locked-2$`, version: "2.73" });
    expect(listed.json.servers[0].locked_reason).toBe("maintenance");
    expect((await h.action(id, { unlock: null })).status).toBe(202);
    expect(await h.show(id, { version: "2.73" })).toMatchObject({ locked: false, locked_reason: null });
  });

  it("an admin's lock cannot be undone by the member (403), only by admin", async () => {
    expect((await h.action(id, { lock: null }, { as: "admin" })).status).toBe(202);
    const refused = await h.action(id, { unlock: null });
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.",
      },
    });
    expect((await h.show(id, { version: "2.9" })).locked).toBe(true);
    expect((await h.action(id, { unlock: null }, { as: "admin" })).status).toBe(202);
    expect((await h.show(id, { version: "2.9" })).locked).toBe(false);
  });
});

describe("os-getConsoleOutput", () => {
  let id: string;
  let address: string;
  beforeAll(async () => {
    id = await h.activeServer({ name: "console" });
    address = (await h.show(id)).addresses.private[0].addr;
  });

  it("answers 200 with the guest's console text, which shows its address", async () => {
    const r = await h.action(id, { "os-getConsoleOutput": {} });
    expect(r.status).toBe(200);
    expect(keysOf(r.json)).toEqual(["output"]);
    expect(r.json.output).toContain(address);
    expect(r.json.output).toContain("console login:");
    expect(r.json.output.endsWith("\n")).toBe(true);
  });

  it("tails the console log as nova does: the last `length` pieces of the log split at newlines", async () => {
    const whole = (await h.action(id, { "os-getConsoleOutput": {} })).json.output as string;
    const pieces = whole.split("\n");
    expect(pieces.at(-1)).toBe("");
    const tail = async (length: number | string | null) =>
      (await h.action(id, { "os-getConsoleOutput": { length } })).json.output;
    // the log ends in a newline: 3 pieces are 2 lines and the empty end
    expect(await tail(3)).toBe(pieces.slice(-3).join("\n"));
    expect((await tail("3")).split("\n")).toHaveLength(3);
    expect(await tail(0)).toBe("");
    expect(await tail(-1)).toBe(pieces.slice(1).join("\n"));
    expect(await tail(null)).toBe(whole);
    expect(await tail(10_000)).toBe(whole);
    expect((await h.action(id, { "os-getConsoleOutput": { length: "x" } })).status).toBe(400);
  });
});

describe("os-resetState", () => {
  it("is admin-only: 403 for the member", async () => {
    const id = await h.activeServer({ name: "reset-member" });
    const r = await h.action(id, { "os-resetState": { state: "error" } });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow os_compute_api:os-admin-actions:reset_state to be performed.",
      },
    });
    expect((await states(id)).status).toBe("ACTIVE");
  });

  it("sets vm_state error or active and clears the task_state", async () => {
    const id = await h.activeServer({ name: "reset" });
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { "os-stop": null })).status).toBe(202);
      expect((await h.action(id, { "os-resetState": { state: "error" } }, { as: "admin" })).status).toBe(202);
      expect(await states(id, "admin")).toMatchObject({ status: "ERROR", vm: "error", task: null });
    });
    // (what the queued stop then does to the guest is not asserted here)
    expect((await h.action(id, { "os-resetState": { state: "active" } }, { as: "admin" })).status).toBe(202);
    expect(await states(id)).toMatchObject({ status: "ACTIVE", vm: "active", task: null });
    expect((await h.action(id, { "os-resetState": { state: "bogus" } }, { as: "admin" })).status).toBe(400);
  });
});

describe("trigger_crash_dump (2.17)", () => {
  it("is accepted on an active server and refused on a stopped one", async () => {
    const id = await h.activeServer({ name: "crash" });
    const r = await h.action(id, { trigger_crash_dump: null }, { version: "2.17" });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    await h.action(id, { "os-stop": null });
    await h.drain();
    expectConflict(
      await h.action(id, { trigger_crash_dump: null }, { version: "2.17" }),
      invalidState("trigger_crash_dump", id, "vm_state", "stopped"),
    );
  });
});

describe("a server whose spawn failed", () => {
  let id: string;
  beforeAll(async () => {
    id = await h.activeServer({ name: "nimbus-fake-fail-actions" });
  });

  it("is in ERROR with a fault, and refuses actions that need a launched server", async () => {
    const server = await h.show(id);
    expect(server.status).toBe("ERROR");
    expect(server.fault).toMatchObject({ code: 500 });
    expectConflict(await h.action(id, { "os-stop": null }), neverLaunched("stop", id));
    expectConflict(await h.action(id, { reboot: { type: "HARD" } }), neverLaunched("reboot", id));
    expectConflict(await h.action(id, { rebuild: { imageRef: IMAGE_ID } }), neverLaunched("rebuild", id));
    expectConflict(await h.action(id, { pause: null }), invalidState("pause", id, "vm_state", "error"));
  });

  it("can be deleted", async () => {
    expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(204);
    await h.drain();
    expect((await h.call({ url: `/servers/${id}` })).status).toBe(404);
  });
});

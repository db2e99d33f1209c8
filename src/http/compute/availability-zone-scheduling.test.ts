/**
 * Availability zones from aggregates reach scheduling, as in nova: a server asked for in
 * a zone lands on a host of that zone and carries it; a server asked for in no zone gets
 * its host's zone; a zone no compute host is in is refused with 400; unshelve honours the
 * same zones.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, IMAGE_ID, TINY } from "../../../test/compute-harness.js";

const HOST = os.hostname();
const AZ = "OS-EXT-AZ:availability_zone";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

describe("availability zones in scheduling", () => {
  it("schedules into the aggregate's zone, and refuses a zone no host is in", async () => {
    const created = await h.call({
      method: "POST",
      url: "/os-aggregates",
      as: "admin",
      body: { aggregate: { name: "rack-1", availability_zone: "az1" } },
    });
    expect(created.status, created.text).toBe(200);
    const id = created.json.aggregate.id;
    const added = await h.call({
      method: "POST",
      url: `/os-aggregates/${id}/action`,
      as: "admin",
      body: { add_host: { host: HOST } },
    });
    expect(added.status, added.text).toBe(200);

    const inZone = await h.activeServer({ server: { availability_zone: "az1" } });
    const shown = await h.show(inZone);
    expect(shown.status).toBe("ACTIVE");
    expect(shown[AZ]).toBe("az1");

    // no zone asked for: the server takes its host's zone
    const anywhere = await h.activeServer();
    expect((await h.show(anywhere))[AZ]).toBe("az1");

    // every host is in az1 now, so the default zone has no host; nor has an unknown zone
    for (const zone of ["nova", "nowhere"]) {
      const refused = await h.call({
        method: "POST",
        url: "/servers",
        body: { server: { name: "x", flavorRef: TINY, imageRef: IMAGE_ID, availability_zone: zone } },
      });
      expect(refused.status, zone).toBe(400);
      expect(refused.json.badRequest.message).toBe("The requested availability zone is not available");
    }
  });
});

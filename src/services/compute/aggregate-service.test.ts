import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase } from "../../store/testing.js";
import { ImageNotFound } from "../errors.js";
import { AggregateService, InvalidAggregateAction } from "./aggregate-service.js";

const HOSTS = new Set(["host-a", "host-b", "host-c"]);

let service: AggregateService;
let close: () => Promise<void>;
beforeAll(async () => {
  const test = await openTestDatabase();
  close = test.close;
  service = new AggregateService(test.db, {
    hostExists: async (host) => HOSTS.has(host),
    images: {
      get: async (_ctx, id) => {
        throw new ImageNotFound(id);
      },
    },
  });
});
afterAll(async () => close());

describe("the availability zones of hosts", () => {
  it("are their aggregates' zones, nova's default zone elsewhere", async () => {
    const east = await service.create("east", "az-east");
    const plain = await service.create("plain", null);
    await service.addHost(east.id, "host-a");
    await service.addHost(plain.id, "host-b");
    expect(await service.availabilityZoneOf("host-a")).toBe("az-east");
    expect(await service.availabilityZoneOf("host-b")).toBe("nova");
    expect(await service.availabilityZoneOf("unknown")).toBe("nova");
    expect(await service.availabilityZones(["host-a", "host-b", "host-c"])).toEqual(
      new Map([
        ["host-a", "az-east"],
        ["host-b", "nova"],
        ["host-c", "nova"],
      ]),
    );
  });

  it("follow an aggregate's zone change and a host leaving it", async () => {
    const moving = await service.create("moving", "az-1");
    await service.addHost(moving.id, "host-c");
    await service.update(moving.id, { availabilityZone: "az-2" });
    expect(await service.availabilityZoneOf("host-c")).toBe("az-2");
    await service.removeHost(moving.id, "host-c");
    expect(await service.availabilityZoneOf("host-c")).toBe("nova");
  });

  it("never become two: a second zone for a host is refused", async () => {
    const west = await service.create("west", "az-west");
    await expect(service.addHost(west.id, "host-a")).rejects.toThrow(InvalidAggregateAction);
    expect(await service.availabilityZoneOf("host-a")).toBe("az-east");
  });
});

describe("concurrent changes", () => {
  it("never give one host two zones, however add_host calls interleave", async () => {
    for (let round = 0; round < 20; round++) {
      const host = `race-host-${round}`;
      HOSTS.add(host);
      const one = await service.create(`race-${round}-1`, `az-race-${round}-1`);
      const two = await service.create(`race-${round}-2`, `az-race-${round}-2`);
      const outcomes = await Promise.allSettled([
        service.addHost(one.id, host),
        service.addHost(two.id, host),
      ]);
      expect(
        outcomes.filter((o) => o.status === "fulfilled"),
        `round ${round}`,
      ).toHaveLength(1);
      const rejected = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(InvalidAggregateAction);
    }
  });
});

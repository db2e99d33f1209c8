import { describe, expect, it } from "vitest";
import {
  checkCompatibleHypervisors,
  DestinationHypervisorTooOld,
  InvalidHypervisorType,
  liveMigrationForcedTo,
  noRoomOn,
  UnableToMigrateToSelf,
} from "./conductor.js";

describe("the conductor's live-migration checks", () => {
  it("words its refusals as nova's exceptions", () => {
    expect(new UnableToMigrateToSelf("u1", "h1").message).toBe(
      "Unable to migrate instance (u1) to current host (h1).",
    );
    expect(noRoomOn("u1", "h2").message).toBe(
      "No valid host was found. Unable to move instance u1 to host h2. There is not enough capacity on the host for the instance.",
    );
  });

  it("needs the same hypervisor type, the destination no older than the source", () => {
    const fake = (version: number) => ({ hypervisorType: "fake", hypervisorVersion: version });
    expect(() => checkCompatibleHypervisors(fake(1000), fake(1000))).not.toThrow();
    expect(() => checkCompatibleHypervisors(fake(1000), fake(2000))).not.toThrow();
    expect(() => checkCompatibleHypervisors(fake(2000), fake(1000))).toThrow(DestinationHypervisorTooOld);
    expect(() =>
      checkCompatibleHypervisors(fake(1000), { hypervisorType: "QEMU", hypervisorVersion: 1000 }),
    ).toThrow(new InvalidHypervisorType());
  });

  it("records a forced host as the destination from the start, and no other", () => {
    expect(liveMigrationForcedTo({ host: "h2", forced: true })).toEqual({
      compute: "h2",
      node: null,
      host: null,
    });
    expect(liveMigrationForcedTo({ host: "h2", forced: false })).toBeUndefined();
    expect(liveMigrationForcedTo({ host: null, forced: false })).toBeUndefined();
  });
});

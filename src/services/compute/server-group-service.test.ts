/**
 * The group policies as a scheduler applies them, on more hosts than nimbus runs today:
 * which host each new member of a group goes to, or none.
 */
import { describe, expect, it } from "vitest";
import { allowsMember, placeInGroup } from "./server-group-service.js";

const HOSTS = ["h1", "h2", "h3"];
const on = (...hosts: string[]) => hosts.map((host, i) => ({ uuid: `m${i}`, host, vmState: "active" }));
const building = { uuid: "b", host: null, vmState: "building" };
const buried = { uuid: "e", host: null, vmState: "error" };

describe("placeInGroup", () => {
  it("anti-affinity: one member per host, each placed server counting for the next", () => {
    const group = { policy: "anti-affinity", rules: {} };
    expect(placeInGroup(group, [], 4, HOSTS)).toEqual(["h1", "h2", "h3", null]);
    expect(placeInGroup(group, on("h1", "h3"), 2, HOSTS)).toEqual(["h2", null]);
  });

  it("anti-affinity: max_server_per_host members per host", () => {
    const group = { policy: "anti-affinity", rules: { max_server_per_host: 2 } };
    expect(placeInGroup(group, on("h1"), 3, ["h1", "h2"])).toEqual(["h1", "h2", "h2"]);
    expect(placeInGroup(group, on("h1", "h1"), 1, ["h1"])).toEqual([null]);
  });

  it("anti-affinity: a member being built may land anywhere; one that failed to schedule holds nothing", () => {
    const group = { policy: "anti-affinity", rules: {} };
    expect(placeInGroup(group, [building], 1, HOSTS)).toEqual([null]);
    expect(placeInGroup(group, [buried], 1, ["h1"])).toEqual(["h1"]);
  });

  it("affinity: anywhere at first, then only where the group is", () => {
    const group = { policy: "affinity", rules: {} };
    expect(placeInGroup(group, [], 3, HOSTS)).toEqual(["h1", "h1", "h1"]);
    expect(placeInGroup(group, on("h2"), 2, HOSTS)).toEqual(["h2", "h2"]);
    // the group's host is not among the candidates (a requested host elsewhere)
    expect(placeInGroup(group, on("h2"), 1, ["h1"])).toEqual([null]);
  });

  it("soft policies always place, preferring the emptiest (anti) or fullest (affinity) host", () => {
    const members = on("h1", "h1", "h3");
    expect(placeInGroup({ policy: "soft-anti-affinity", rules: {} }, members, 3, HOSTS)).toEqual([
      "h2",
      "h2",
      "h3",
    ]);
    expect(placeInGroup({ policy: "soft-affinity", rules: {} }, members, 2, HOSTS)).toEqual(["h1", "h1"]);
    expect(placeInGroup({ policy: "soft-anti-affinity", rules: {} }, on("h1"), 1, ["h1"])).toEqual(["h1"]);
  });

  it("places nothing without hosts", () => {
    expect(placeInGroup({ policy: "soft-affinity", rules: {} }, [], 1, [])).toEqual([null]);
  });
});

describe("allowsMember (a member that moves)", () => {
  it("anti-affinity: not to a host of another member; its own host does not count against it", () => {
    const group = { policy: "anti-affinity", rules: {} };
    const members = on("h1", "h2"); // m0 on h1 moves
    expect(allowsMember(group, members, "m0", "h2")).toBe(false);
    expect(allowsMember(group, members, "m0", "h3")).toBe(true);
    expect(allowsMember(group, members, "m0", "h1")).toBe(true);
    // a member not yet placed holds no host
    expect(allowsMember(group, [...members, building], "m0", "h3")).toBe(true);
    expect(
      allowsMember({ policy: "anti-affinity", rules: { max_server_per_host: 2 } }, members, "m0", "h2"),
    ).toBe(true);
  });

  it("affinity: only to where the others are; anywhere when it is alone", () => {
    const group = { policy: "affinity", rules: {} };
    expect(allowsMember(group, on("h1", "h1"), "m0", "h2")).toBe(false);
    expect(allowsMember(group, on("h1", "h1"), "m0", "h1")).toBe(true);
    expect(allowsMember(group, on("h1"), "m0", "h2")).toBe(true);
  });

  it("soft policies allow every host", () => {
    expect(allowsMember({ policy: "soft-anti-affinity", rules: {} }, on("h1", "h2"), "m0", "h2")).toBe(true);
    expect(allowsMember({ policy: "soft-affinity", rules: {} }, on("h1", "h1"), "m0", "h3")).toBe(true);
  });
});

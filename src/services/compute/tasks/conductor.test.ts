import { describe, expect, it } from "vitest";
import { liveMigrationDestination, NoValidHost, UnableToMigrateToSelf } from "./conductor.js";

describe("liveMigrationDestination", () => {
  const forced = (host: string) => ({ host, forced: true });

  it("refuses a forced move to the server's own host with nova's message", () => {
    const refusal = () => liveMigrationDestination("u1", "h1", ["h1"], forced("h1"));
    expect(refusal).toThrow(UnableToMigrateToSelf);
    expect(refusal).toThrow("Unable to migrate instance (u1) to current host (h1).");
  });

  it("asks the scheduler otherwise, which ignores the source (also when it is the requested host)", () => {
    expect(() => liveMigrationDestination("u1", "h1", ["h1"], { host: null, forced: false })).toThrow(
      NoValidHost,
    );
    expect(() => liveMigrationDestination("u1", "h1", ["h1", "h2"], { host: "h1", forced: false })).toThrow(
      NoValidHost,
    );
    expect(liveMigrationDestination("u1", "h1", ["h1", "h2", "h3"], { host: "h3", forced: false })).toBe(
      "h3",
    );
    expect(liveMigrationDestination("u1", "h1", ["h1", "h2"], forced("h2"))).toBe("h2");
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeCloudsYaml } from "./clouds-yaml.js";

describe("writeCloudsYaml", () => {
  let dir: string;
  const mode = (file: string) => fs.statSync(file).mode & 0o777;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-clouds-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("replaces a file others could read with one only its owner can", async () => {
    const file = path.join(dir, "clouds.yaml");
    fs.writeFileSync(file, "old\n", { mode: 0o644 });
    await writeCloudsYaml(file, "clouds: {}\n");
    expect(mode(file)).toBe(0o600);
    expect(fs.readFileSync(file, "utf8")).toBe("clouds: {}\n");
  });

  it("is not fooled by a temporary file an earlier process of the same pid left behind", async () => {
    const file = path.join(dir, "clouds.yaml");
    fs.writeFileSync(`${file}.${process.pid}.tmp`, "stale\n", { mode: 0o644 });
    await writeCloudsYaml(file, "clouds: {}\n");
    expect(mode(file)).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(["clouds.yaml"]);
  });
});

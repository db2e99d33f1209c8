import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createNovaAjv, FLAVOURS, flavourKey } from "./nova-ajv.js";
import { instantiate, precompiled } from "./precompiled-validators.js";
import { generatedModule } from "./validator-generator.js";

const SCHEMAS = new URL("./nova-schemas/", import.meta.url);
const work = mkdtempSync(join(tmpdir(), "nimbus-validators-"));
const require = createRequire(import.meta.url);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The module the build would write for a schema file, loaded as the server loads it. */
function generate(file: string): Record<string, Parameters<typeof instantiate>[0]> {
  const text = readFileSync(new URL(file, SCHEMAS), "utf8");
  const target = join(work, `${file.replaceAll("/", "_")}.cjs`);
  writeFileSync(target, generatedModule(file, text, FLAVOURS));
  return require(target);
}

const IMAGE = "70a599e0-31e7-49b7-b260-868f441e862b";

/** Bodies that reach every custom piece: formats, Python patterns, numeric strings, legacy stripping. */
const CASES: Record<string, unknown[]> = {
  "request_body/servers/POST__servers.create_v20.2.0-2.0.json": [
    { server: { name: "vm-1", imageRef: IMAGE, flavorRef: "1" } },
    { server: { name: " vm", imageRef: "not-a-uuid", flavorRef: "1", min_count: "0" } },
    { server: { name: "vm", imageRef: IMAGE, flavorRef: "1", max_count: "1_000", bogus: 1 } },
    { server: { name: "vm", imageRef: IMAGE, flavorRef: "1", metadata: { "bad/key": "v" } } },
    { server: { name: "vm", imageRef: IMAGE, flavorRef: "1", networks: [{ fixed_ip: "10.0.0.300" }] } },
    { server: { name: "vm", imageRef: IMAGE, flavorRef: "1", personality: [{ contents: "!!" }] } },
    { bogus: true },
  ],
  "request_body/flavors/POST__flavors.create_v2102.2.102-latest.json": [
    { flavor: { name: "f", ram: "512", vcpus: 1, disk: 0, id: "a b" } },
    { flavor: { name: "f", ram: "0", vcpus: "-inf", disk: 1.9, swap: "nan" } },
    { flavor: { name: "f", ram: 2 ** 40, vcpus: 1, disk: 0, "os-flavor-access:is_public": "yes" } },
  ],
  "request_body/server_metadata/PUT__servers__server_id__metadata.update_all.any-latest.json": [
    { metadata: { a: "b" } },
    { metadata: { "": "b" }, extra: 1 },
    { metadata: { a: "b" }, extra: 1 },
  ],
};

describe("validators generated ahead of time", () => {
  for (const [file, bodies] of Object.entries(CASES)) {
    it(`answer as compiled ones do: ${file}`, () => {
      const generated = generate(file);
      const schema = JSON.parse(readFileSync(new URL(file, SCHEMAS), "utf8"));
      for (const flavour of FLAVOURS) {
        const validate = instantiate(generated[flavourKey(flavour)]!);
        const reference = createNovaAjv(flavour).compile(schema);
        for (const body of bodies) {
          const [mine, theirs] = [structuredClone(body), structuredClone(body)];
          const what = `${flavourKey(flavour)} ${JSON.stringify(body)}`;
          expect(validate(mine), what).toBe(reference(theirs));
          expect(validate.errors ?? null, what).toEqual(reference.errors ?? null);
          expect(mine, `${what}: legacy stripping`).toEqual(theirs);
        }
      }
    });
  }

  it("are not used when the schema has changed since they were generated", () => {
    const file = "request_body/server_metadata/POST__servers__server_id__metadata.create.any-latest.json";
    const text = readFileSync(new URL(file, SCHEMAS), "utf8");
    expect(precompiled(file, `${text} `, FLAVOURS[0]!)).toBeUndefined();
  });

  // Their digest covers the schema, ajv and its options, not the code of nova's keywords:
  // a change there must bump MODULE_FORMAT, or a stale build would still be used.
  const built = new URL(
    "./nova-validators/request_body/servers/POST__servers.create_v20.2.0-2.0.cjs",
    import.meta.url,
  );
  it.skipIf(!existsSync(built))("match what the code would generate now, in the last build's output", () => {
    const file = "request_body/servers/POST__servers.create_v20.2.0-2.0.json";
    const text = readFileSync(new URL(file, SCHEMAS), "utf8");
    expect(readFileSync(built, "utf8") === generatedModule(file, text, FLAVOURS), "bump MODULE_FORMAT").toBe(
      true,
    );
  });

  it("are absent, not an error, for a schema the build has not seen", () => {
    expect(precompiled("request_body/none/POST__none.json", "{}", FLAVOURS[0]!)).toBeUndefined();
  });
});

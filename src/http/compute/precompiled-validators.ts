/**
 * nova's validators compiled ahead of time: compiling the largest schema takes ~100 ms, and a
 * request that met an uncompiled one held the event loop that long. The build (`npm run
 * build`, also run by `npm ci`) writes, per schema file, a CommonJS module of ajv's standalone
 * code into `nova-validators/` beside `nova-schemas/` (gitignored; copied into dist/ like the
 * schemas), one factory per flavour. Loading one on first use costs a read and a parse, not a
 * compile. Each factory carries a digest of what produced it (schema text, ajv version and
 * options, the module format); one that does not match, or a missing module, is not used and
 * validation.ts compiles the schema itself, as before. validator-generator.ts writes them.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { ajvOptions, type Flavour, flavourKey, NOVA_RUNTIME } from "./nova-ajv.js";

const VALIDATOR_DIR = new URL("./nova-validators/", import.meta.url);
const require = createRequire(import.meta.url);

/**
 * Bump when generated modules, NOVA_RUNTIME or the code nova-ajv.ts's keywords emit change
 * shape: older modules are then ignored.
 */
const MODULE_FORMAT = 1;

export interface Factory {
  readonly digest: string;
  create(nova: typeof NOVA_RUNTIME, require: NodeJS.Require, module: { exports: unknown }): void;
}

type GeneratedModule = Readonly<Record<string, Factory | undefined>>;

let ajvVersion: string | undefined;

/** What a factory's digest must be to be used for this schema text and flavour. */
export function digest(flavour: Flavour, schemaText: string): string {
  ajvVersion ??= (require("ajv/package.json") as { version: string }).version;
  return createHash("sha256")
    .update(JSON.stringify([MODULE_FORMAT, ajvVersion, flavourKey(flavour), ajvOptions(flavour)]))
    .update(schemaText)
    .digest("base64url");
}

/** Where the module of a schema file (its path under nova-schemas/) is. */
export const moduleFile = (file: string) => new URL(file.replace(/\.json$/, ".cjs"), VALIDATOR_DIR);

const modules = new Map<string, GeneratedModule | null>();

/** The generated validator of a schema file (its text as read) in this flavour, if a current one exists. */
export function precompiled(
  file: string,
  schemaText: string,
  flavour: Flavour,
): ValidateFunction | undefined {
  let generated = modules.get(file);
  if (generated === undefined) {
    try {
      generated = require(fileURLToPath(moduleFile(file))) as GeneratedModule;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
      generated = null;
    }
    modules.set(file, generated);
  }
  const factory = generated?.[flavourKey(flavour)];
  if (factory?.digest !== digest(flavour, schemaText)) return undefined;
  return instantiate(factory);
}

/** Runs a factory: ajv's standalone code assigns the validator to `module.exports`. */
export function instantiate(factory: Factory): ValidateFunction {
  const module = { exports: undefined as unknown };
  factory.create(NOVA_RUNTIME, require, module);
  return module.exports as ValidateFunction;
}

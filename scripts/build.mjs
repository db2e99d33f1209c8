// Bundles the sources into dist/nimbus.mjs (dependencies stay in node_modules), so that
// nimbus starts without compiling TypeScript on the fly. The data files the code reads
// beside itself (new URL("./…", import.meta.url)) are copied next to the bundle, with the
// request validators generated ahead of time (first, so the bundle is newer than all of src/).
import fs from "node:fs";
import { build } from "esbuild";
import { tsImport } from "tsx/esm/api";

const root = new URL("..", import.meta.url);
const at = (path) => new URL(path, root);

const validators = await tsImport("../src/http/compute/validator-generator.ts", import.meta.url);
validators.writePrecompiledValidators();

fs.rmSync(at("dist"), { recursive: true, force: true });
await build({
  entryPoints: [at("src/cli/main.ts").pathname],
  outfile: at("dist/nimbus.mjs").pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
fs.cpSync(at("src/http/compute/nova-schemas"), at("dist/nova-schemas"), { recursive: true });
fs.cpSync(at("src/http/compute/nova-validators"), at("dist/nova-validators"), { recursive: true });
fs.copyFileSync(at("src/http/compute/extra-spec-validators.json"), at("dist/extra-spec-validators.json"));

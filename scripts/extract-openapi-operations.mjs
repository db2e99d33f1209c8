// Writes src/http/openapi/upstream-operations.json: every "METHOD path" that the shared
// OpenStack descriptions (shared/openapi/*.yaml beside the repository, or the folder given
// as the first argument) list for the APIs nimbus serves. The OpenAPI test compares nimbus's
// own documents with this list, so it need not parse megabytes of YAML on every run.
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const root = path.resolve(import.meta.dirname, "..");
const shared = path.resolve(process.argv[2] ?? path.join(root, "..", "shared", "openapi"));
const FILES = {
  compute: "compute-v2.104.yaml",
  identity: "identity-v3.14.yaml",
  image: "image-v2.16.yaml",
  network: "network-v2.29.yaml",
};
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const out = {};
for (const [api, file] of Object.entries(FILES)) {
  const document = parse(fs.readFileSync(path.join(shared, file), "utf8"), { maxAliasCount: -1 });
  const operations = Object.entries(document.paths).flatMap(([route, item]) =>
    METHODS.filter((method) => method in item).map((method) => `${method.toUpperCase()} ${route}`),
  );
  out[api] = { file, operations: operations.sort() };
}
const target = path.join(root, "src", "http", "openapi", "upstream-operations.json");
fs.writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${path.relative(root, target)}`);

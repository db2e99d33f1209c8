#!/usr/bin/env node
// Runs the bundle in dist/ when it is at least as new as every source file (npm start
// and npm ci build it), and the TypeScript sources through tsx otherwise, so an edit is
// never shadowed by a stale build.
import fs from "node:fs";

const root = new URL("..", import.meta.url);
const bundle = new URL("dist/nimbus.mjs", root);

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const mtime = fs.statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

function bundleIsFresh() {
  try {
    return fs.statSync(bundle).mtimeMs >= newestSource(new URL("src", root).pathname);
  } catch {
    return false;
  }
}

if (bundleIsFresh()) {
  process.setSourceMapsEnabled(true);
  await import(bundle.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}

#!/usr/bin/env node
// `npm run bench`: runs the benchmark suite's TypeScript directly through tsx's loader.
import { register } from "tsx/esm/api";

register();
await import("../bench/main.ts");

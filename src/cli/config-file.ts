import fs from "node:fs";
import { parse } from "yaml";
import type { Config } from "../config.js";

const KEYS: Array<keyof Config> = [
  "host",
  "port",
  "dataDir",
  "taskKeyFile",
  "database",
  "publicUrl",
  "tokenTtlSeconds",
  "consoleTokenTtlSeconds",
  "lockoutFailureAttempts",
  "lockoutDurationSeconds",
  "authFailureLimit",
  "authFailureWindowSeconds",
  "reclaimInstanceIntervalSeconds",
  "allowResizeToSameHost",
  "resizeConfirmWindowSeconds",
  "schedulerMaxAttempts",
  "schedulerEnabledFilters",
  "driver",
  "fakeHosts",
  "fakeHostCapacity",
  "fakeStepMs",
  "bodyLimitBytes",
  "logLevel",
  "imageSizeTotalMiB",
  "imageCountTotal",
  "imageDiskReserveMiB",
  "responseValidation",
];

/** Reads a YAML (or JSON, which is YAML) settings file; unknown keys are an error, so typos do not pass silently. */
export function loadConfigFile(file: string): Partial<Config> {
  const data = parse(fs.readFileSync(file, "utf8")) ?? {};
  if (typeof data !== "object" || Array.isArray(data))
    throw new Error(`${file}: expected a mapping of settings`);
  const out: Partial<Config> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (!KEYS.includes(key as keyof Config))
      throw new Error(`${file}: unknown setting '${key}' (known: ${KEYS.join(", ")})`);
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

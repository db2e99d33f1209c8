/**
 * nova's validation of flavor extra specs in known namespaces (microversion 2.86+,
 * nova/api/validation/extra_specs/). The validators are data: `extra-spec-validators.json`
 * was dumped from nova's registry at the snapshot the nova-schemas come from (128
 * validators, Apache-2.0 like nova). One deliberate widening: nova lists the standard
 * resource classes and traits one by one (from os-resource-classes / os-traits); here any
 * upper-case name is accepted in the `resources` and `trait` namespaces.
 */
import { readFileSync } from "node:fs";
import { badRequest } from "../faults.js";
import { pythonRegExp } from "./validation.js";

interface ValidatorData {
  /** nova's human-readable name, e.g. `hw:numa_cpus.{num}`. */
  name: string;
  /** Python regex the whole key must match. */
  regex: string;
  type: "str" | "int" | "bool";
  enum?: string[];
  /** Python regex the whole (string) value must match. */
  pattern?: string;
  min?: number;
  max?: number;
}

interface Validator extends ValidatorData {
  key: RegExp;
  value?: RegExp;
}

/** Python's re.fullmatch(pattern, text), as a RegExp. */
const fullMatch = (pattern: string) => pythonRegExp(`^(?:${pattern})\\Z`);

let registry: { validators: Validator[]; byName: Map<string, Validator>; namespaces: RegExp[] } | undefined;

function load() {
  if (!registry) {
    const data = JSON.parse(
      readFileSync(new URL("./extra-spec-validators.json", import.meta.url), "utf8"),
    ) as ValidatorData[];
    const validators = data.map((v) => ({
      ...v,
      key: fullMatch(v.regex),
      value: v.pattern === undefined ? undefined : fullMatch(v.pattern),
    }));
    const namespaces = [
      ...new Set(data.filter((v) => v.regex.includes(":")).map((v) => v.regex.split(":")[0]!)),
    ];
    registry = {
      validators,
      byName: new Map(validators.map((v) => [v.name, v])),
      namespaces: namespaces.map(fullMatch),
    };
  }
  return registry;
}

const TRUE_OR_FALSE = new Set(["1", "t", "true", "on", "y", "yes", "0", "f", "false", "off", "n", "no"]);

function checkValue(v: Validator, raw: string | number): void {
  const value = String(raw);
  if (v.type === "int") {
    // Python's int(): numbers truncate, strings must be integer literals
    if (typeof raw === "string" && !/^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) {
      throw badRequest(`Validation failed; '${value}' is not a valid integer value.`);
    }
    const n = typeof raw === "number" ? Math.trunc(raw) : Number(value.replace(/_/g, ""));
    if (v.max !== undefined && v.max < n) {
      throw badRequest(`Validation failed; '${value}' is greater than the max value of '${v.max}'.`);
    }
    if (v.min !== undefined && v.min > n) {
      throw badRequest(`Validation failed; '${value}' is less than the min value of '${v.min}'.`);
    }
  } else if (v.type === "bool") {
    if (!TRUE_OR_FALSE.has(value.trim().toLowerCase())) {
      throw badRequest(`Validation failed; '${value}' is not a valid boolean-like value.`);
    }
  } else if (v.value) {
    if (!v.value.test(value))
      throw badRequest(`Validation failed; '${value}' is not of the format '${v.pattern}'.`);
  } else if (v.enum && !v.enum.includes(value)) {
    throw badRequest(`Validation failed; '${value}' is not one of: ${v.enum.join(", ")}.`);
  }
}

/**
 * Checks one extra spec as nova does from 2.86: a key a validator names must have a valid
 * value; an unknown key inside a known namespace (`hw:`, `quota:` ...) is refused; keys
 * without a namespace or in other namespaces pass. Throws nova's 400.
 */
export function validateExtraSpec(name: string, value: string | number): void {
  const { validators, byName, namespaces } = load();
  const validator = byName.get(name) ?? validators.find((v) => v.key.test(name));
  if (validator) {
    checkValue(validator, value);
    return;
  }
  if (!name.includes(":")) return;
  const namespace = name.split(":", 1)[0]!;
  if (!namespaces.some((ns) => ns.test(namespace))) return;
  throw badRequest(`Validation failed; extra spec '${name}' does not appear to be a valid extra spec.`);
}

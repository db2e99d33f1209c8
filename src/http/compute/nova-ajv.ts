/**
 * The ajv instances that apply nova's schemas with nova's semantics, shared by the validators
 * the build generates ahead of time (precompiled-validators.ts) and those compiled on first
 * use when no generated one is current. Every nova-specific piece (formats, Python patterns,
 * numeric-string limits, legacy stripping) is code that calls a function of NOVA_RUNTIME,
 * which generated code names `nova.<member>`: generated modules hold the schemas' structure,
 * never a copy of these semantics. A change to what a keyword's `code` emits must bump
 * MODULE_FORMAT in precompiled-validators.ts (its test says so when it is forgotten).
 */
import { _, Ajv2020, type CodeKeywordDefinition, type KeywordCxt, Name, stringify } from "ajv/dist/2020.js";
import formatsPlugin from "ajv-formats";
import { fullFormats } from "ajv-formats/dist/formats.js";
import { NOVA_FORMATS } from "./nova-formats.js";
import { schemaRegExp } from "./python-regexp.js";

/**
 * How errors are collected: all of them, to pick the one nova meets first (validation.ts's
 * firstError), or only the first ajv meets, for a body whose size would make collecting all
 * of them hold the event loop (100,000 bad array items cost ~300 ms).
 */
export type ErrorMode = "all" | "first";

/** One way of compiling a schema: v2.1+ or legacy /v2, and an error mode. */
export interface Flavour {
  readonly legacy: boolean;
  readonly mode: ErrorMode;
}

export const FLAVOURS: readonly Flavour[] = [
  { legacy: false, mode: "all" },
  { legacy: false, mode: "first" },
  { legacy: true, mode: "all" },
  { legacy: true, mode: "first" },
];

export function flavourKey(flavour: Flavour): string {
  return `${flavour.legacy ? "legacy" : "v2.1"}:${flavour.mode}`;
}

/** Ajv's pattern engine: every `pattern` and `patternProperties` key is Python `re` syntax. */
const pythonPatterns = Object.assign((pattern: string) => schemaRegExp(pattern), { code: "nova.regExp" });

/** ajv-formats' formats, then nova's checkers (strings only, as nova's pass any other type). */
const formats = {
  ...fullFormats,
  ...Object.fromEntries(
    Object.entries(NOVA_FORMATS).map(([name, validate]) => [name, { type: "string" as const, validate }]),
  ),
};

/** What the code of the custom keywords calls, at run time and in generated modules alike. */
export const NOVA_RUNTIME = {
  regExp: pythonPatterns,
  formats,
  belowMinimum: (data: unknown, limit: number): boolean => {
    const value = pythonNumber(data);
    return value !== undefined && value < limit;
  },
  aboveMaximum: (data: unknown, limit: number): boolean => {
    const value = pythonNumber(data);
    return value !== undefined && value > limit;
  },
  softAdditionalProperties,
};

/**
 * The options of every instance: they decide the generated code, so precompiled modules
 * carry a digest of them (with ajv's version) and are ignored when it changes.
 */
export function ajvOptions(flavour: Flavour) {
  return {
    // The files carry keywords 2020-12 ignores (`additionalItems` beside `items`) as nova's do.
    strict: false,
    allErrors: flavour.mode === "all",
    // Errors carry the failing data and schema, which nova's messages quote.
    verbose: true,
    unicodeRegExp: false,
  };
}

/**
 * An ajv for this flavour. For standalone modules, `source` keeps the generated code and
 * the caller checks schemas against the meta-schema itself (compiling it costs each new
 * instance ~25 ms; the schemas' code does not depend on it).
 */
export function createNovaAjv(flavour: Flavour, source = false): Ajv2020 {
  const ajv = new Ajv2020({
    ...ajvOptions(flavour),
    validateSchema: !source,
    code: { source, regExp: pythonPatterns, formats: _`nova.formats` },
  });
  // ajv-formats is CommonJS: its default import is the module, the plugin is `.default`.
  formatsPlugin.default(ajv);
  for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format);
  ajv.removeKeyword("minimum").addKeyword(numericLimit("minimum", "belowMinimum"));
  ajv.removeKeyword("maximum").addKeyword(numericLimit("maximum", "aboveMaximum"));
  if (flavour.legacy) ajv.removeKeyword("additionalProperties").addKeyword(softAdditionalKeyword());
  return ajv;
}

/** A NOVA_RUNTIME function as generated code names it (`nova.<name>`) and compiled code holds it. */
function runtimeFunction(
  cxt: KeywordCxt,
  name: "belowMinimum" | "aboveMaximum" | "softAdditionalProperties",
) {
  return cxt.gen.scopeValue("func", {
    ref: NOVA_RUNTIME[name],
    code: _`${new Name("nova")}.${new Name(name)}`,
  });
}

/**
 * nova's `_validate_minimum`/`_validate_maximum`: the value goes through Python's int()
 * (then float()); anything that does not convert skips the check, and int() truncates floats.
 * validation.ts words the failure ("... is less than the minimum of ...").
 */
function numericLimit(
  keyword: "minimum" | "maximum",
  fails: "belowMinimum" | "aboveMaximum",
): CodeKeywordDefinition {
  return {
    keyword,
    type: ["number", "string"],
    schemaType: "number",
    error: { message: `must pass nova's ${keyword}`, params: ({ schemaCode }) => _`{limit: ${schemaCode}}` },
    code(cxt) {
      cxt.fail(_`${runtimeFunction(cxt, fails)}(${cxt.data}, ${cxt.schemaCode})`);
    },
  };
}

const DIGITS = String.raw`\d(?:_?\d)*`; // Python allows single underscores between digits
const PY_INT = new RegExp(`^[+-]?${DIGITS}$`);
const PY_FLOAT = new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);

/** Python's int(x) falling back to float(x), for the values JSON can carry (ASCII digits only). */
export function pythonNumber(data: unknown): number | undefined {
  if (typeof data === "number") return Math.trunc(data);
  if (typeof data === "boolean") return data ? 1 : 0;
  if (typeof data !== "string") return undefined;
  const text = data.trim();
  if (PY_INT.test(text) || PY_FLOAT.test(text)) return Number(text.replaceAll("_", ""));
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (!special) return undefined;
  if (special[2]!.toLowerCase() === "nan") return Number.NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

/**
 * nova's `_soft_validate_additional_properties`, used under legacy /v2: unknown keys are
 * deleted; where `patternProperties` exist, keys matching none of them are still an error
 * (validation.ts words it from softExtras). When every key is unknown nothing happens (nova's
 * workaround for `oneOf` branches), so `required` and friends report instead.
 */
function softAdditionalKeyword(): CodeKeywordDefinition {
  return {
    keyword: "additionalProperties",
    type: "object",
    schemaType: ["boolean", "object"],
    error: { message: "must not have unexpected properties", params: () => _`{}` },
    code(cxt) {
      if (cxt.schema === true) return;
      const parent = cxt.parentSchema as { properties?: object; patternProperties?: object };
      const named = stringify(Object.keys(parent.properties ?? {}));
      const patterns = stringify(Object.keys(parent.patternProperties ?? {}));
      cxt.fail(_`!${runtimeFunction(cxt, "softAdditionalProperties")}(${cxt.data}, ${named}, ${patterns})`);
    },
  };
}

/** Whether an object passes nova's soft check; deletes its unknown keys when it may. */
function softAdditionalProperties(
  data: Record<string, unknown>,
  named: readonly string[],
  patterns: readonly string[],
): boolean {
  const keys = Object.keys(data);
  const extras = softExtras(data, named, patterns);
  if (extras.length === 0 || extras.length === keys.length) return true;
  if (patterns.length > 0) return false;
  for (const key of extras) delete data[key];
  return true;
}

/** The keys of an object that neither a property nor a pattern of its schema names. */
export function softExtras(
  data: Record<string, unknown>,
  named: readonly string[],
  patterns: readonly string[],
): string[] {
  const anyPattern = patterns.length > 0 ? schemaRegExp(patterns.join("|")) : undefined;
  return Object.keys(data).filter((k) => !named.includes(k) && !anyPattern?.test(k));
}

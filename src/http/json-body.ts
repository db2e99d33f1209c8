import { badRequest } from "./faults.js";

/** The deepest nesting of arrays and objects a request body may have; no API's schema comes near it. */
export const MAX_JSON_DEPTH = 100;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses a JSON request body for every API, refusing (400) before any handler sees it what
 * the layers behind would trip on: nesting deeper than MAX_JSON_DEPTH (recursive validation
 * and copying overflowed the stack on bodies nested thousands deep) and the NUL character,
 * which PostgreSQL cannot store in text (SQLite can), so both engines answer alike. A raw
 * NUL is already invalid JSON; the scan finds the `\u0000` escape, outside and inside keys.
 * Malformed JSON throws `malformed` (each API words it its own way).
 */
export function parseJsonBody(text: string, malformed: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === QUOTE) inString = false;
      else if (c === BACKSLASH) {
        if (text.startsWith("u0000", i + 1)) {
          throw badRequest("The request body contains a NUL character (\\u0000), which is not allowed.");
        }
        i++; // the escaped character cannot end the string
      }
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) {
        throw badRequest(`The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`);
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(malformed);
  }
}

/** Whether a request target holds a NUL character once decoded (`%00` in its path or query). */
export function urlHasNul(url: string): boolean {
  return url.includes("%00") || url.includes("\u0000");
}

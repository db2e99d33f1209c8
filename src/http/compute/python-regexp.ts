/**
 * Python `re` patterns in JavaScript: nova's schemas write every `pattern` and
 * `patternProperties` key in Python's syntax, and its `regex` format accepts what Python compiles.
 */

const schemaPatterns = new Map<string, RegExp>();

/** pythonRegExp for the schemas' own patterns (a finite set), translated once each. */
export function schemaRegExp(pattern: string): RegExp {
  let regex = schemaPatterns.get(pattern);
  if (!regex) {
    regex = pythonRegExp(pattern);
    schemaPatterns.set(pattern, regex);
  }
  return regex;
}

/** Escapes of ASCII letters that Python's `re` knows; any other (`\q`) is an error there. */
const PY_LETTER_ESCAPES = "abBdDfnrsStvwWAZxuUN";

/**
 * Translates a Python `re` pattern into a JavaScript RegExp, without the `u` flag (nova's
 * generated character classes use identity escapes such as `\ ` and `\~`, and list BMP code
 * units). Python's `$` also matches before a final newline, so it becomes `(?=\n?$)`;
 * `\A`, `\Z`, `(?P<name>...)`, `(?P=name)`, `(?#...)` and leading inline flags (i, m, s) are
 * mapped. Throws SyntaxError where Python or JavaScript would reject the pattern (or where
 * a Python-only construct has no translation).
 */
export function pythonRegExp(pattern: string): RegExp {
  let flags = "";
  let source = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    for (const flag of inline[1]!) {
      if (flag === "x") throw new SyntaxError("verbose patterns are not supported");
      if ("ims".includes(flag) && !flags.includes(flag)) flags += flag;
    }
    source = source.slice(inline[0].length);
  }
  const end = flags.includes("m") ? "$" : String.raw`(?=\n?$)`;
  let out = "";
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined) throw new SyntaxError("bad escape (end of pattern)");
      if (/[A-Za-z]/.test(next) && !PY_LETTER_ESCAPES.includes(next))
        throw new SyntaxError(`bad escape \\${next}`);
      if (next === "N") throw new SyntaxError("\\N{...} is not supported");
      if (!inClass && next === "A") out += "^";
      else if (!inClass && next === "Z") out += String.raw`(?![\s\S])`;
      else out += c + next;
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
      out += c;
    } else if (c === "[") {
      inClass = true;
      out += c;
      if (source[i + 1] === "^") out += source[++i];
      // A `]` first in a Python class is a literal; in JavaScript `[]` is an empty class.
      if (source[i + 1] === "]") {
        out += "\\]";
        i++;
      }
    } else if (c === "$") {
      out += end;
    } else if (source.startsWith("(?P<", i)) {
      out += "(?<";
      i += 3;
    } else if (source.startsWith("(?P=", i)) {
      const close = source.indexOf(")", i);
      if (close < 0) throw new SyntaxError("missing ), unterminated name");
      out += `\\k<${source.slice(i + 4, close)}>`;
      i = close;
    } else if (source.startsWith("(?#", i)) {
      const close = source.indexOf(")", i);
      if (close < 0) throw new SyntaxError("missing ), unterminated comment");
      i = close;
    } else {
      out += c;
    }
  }
  return new RegExp(out, flags);
}

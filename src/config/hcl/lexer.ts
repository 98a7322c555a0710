/**
 * Character-level scanning for HCL's native syntax. HCL's lexical structure depends on context (a quoted
 * template inside an interpolation inside a heredoc), so the parser drives the scanner: it asks for the
 * next significant character in the current mode (newlines significant in bodies and objects, not inside
 * brackets) and calls the scanners here for identifiers, numbers, comments and escapes.
 * https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md#lexical-elements
 */

export class SyntaxError_ extends Error {
  constructor(
    readonly off: number,
    message: string,
  ) {
    super(message);
  }
}

/** Nesting deeper than the limit stops the file: one message, no stack overflow. */
export class DepthError extends SyntaxError_ {}

export const MAX_DEPTH = 256;

const ID_START = /[\p{ID_Start}_]/uy;
const ID_REST = /[\p{ID_Continue}\-]*/uy;

export function isIdentStart(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) return true;
  if (c < 128) return false;
  ID_START.lastIndex = i;
  return ID_START.test(text);
}

/** End offset of the identifier starting at i (which isIdentStart). */
export function scanIdent(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const c = text.charCodeAt(j);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45) j++;
    else break;
  }
  if (text.charCodeAt(j) >= 128 || (j === i + 1 && text.charCodeAt(i) >= 128)) {
    ID_REST.lastIndex = i + 1;
    ID_REST.test(text);
    return Math.max(j, ID_REST.lastIndex);
  }
  return j;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End offset of the number literal starting at i (a digit). */
export function scanNumber(text: string, i: number): number {
  let j = i;
  while (isDigit(text.charCodeAt(j))) j++;
  if (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) {
    j++;
    while (isDigit(text.charCodeAt(j))) j++;
  }
  const e = text.charCodeAt(j);
  if (e === 101 || e === 69) {
    let k = j + 1;
    const sign = text.charCodeAt(k);
    if (sign === 43 || sign === 45) k++;
    if (isDigit(text.charCodeAt(k))) {
      while (isDigit(text.charCodeAt(k))) k++;
      j = k;
    }
  }
  return j;
}

/**
 * Skips spaces, tabs, comments and (when `newlines`) line ends; returns the next offset.
 * A `#` or `//` comment stops before its newline so the newline still ends an attribute.
 * Throws on an unterminated block comment.
 */
export function skipSpace(text: string, i: number, newlines: boolean): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) i++;
    else if (c === 10) {
      if (!newlines) return i;
      i++;
    } else if (c === 35 || (c === 47 && text.charCodeAt(i + 1) === 47)) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? n : nl;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new SyntaxError_(i, 'unterminated comment: a /* comment needs a closing */');
      i = end + 2;
    } else if (c === 0xfeff && i === 0) i++;
    else return i;
  }
  return i;
}

/** Decodes a backslash escape at text[i] === '\\' inside a quoted string: [decoded, next offset]. */
export function scanEscape(text: string, i: number): [string, number] {
  const c = text[i + 1];
  switch (c) {
    case 'n':
      return ['\n', i + 2];
    case 'r':
      return ['\r', i + 2];
    case 't':
      return ['\t', i + 2];
    case '"':
      return ['"', i + 2];
    case '\\':
      return ['\\', i + 2];
    case 'u':
    case 'U': {
      const len = c === 'u' ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + len);
      if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) {
        throw new SyntaxError_(i, `invalid escape sequence: \\${c} needs ${len} hexadecimal digits`);
      }
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new SyntaxError_(i, `invalid escape sequence: \\${c}${hex} is not a Unicode character`);
      return [String.fromCodePoint(cp), i + 2 + len];
    }
    default:
      throw new SyntaxError_(i, `invalid escape sequence \\${c ?? ''}: the valid ones are \\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN`);
  }
}

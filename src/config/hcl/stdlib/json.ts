/**
 * JSON as cty writes and reads it (cty/json): object keys sorted, numbers as formatNumber, strings
 * escaped as Go's encoding/json escapes them (HTML-safe: <, >, & as \u003c…, U+2028/U+2029 escaped).
 * https://github.com/zclconf/go-cty/blob/main/cty/json/marshal.go
 */
import { FunctionError, compareStrings, formatNumber, makeObject, type Value } from '../value.js';

export function goJSONString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029)
      out += '\\u' + c.toString(16).padStart(4, '0');
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + (s[i + 1] as string);
        i++;
      } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return out + '"';
}

export function ctyJSON(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new FunctionError('cannot serialize infinity as JSON');
    return formatNumber(v);
  }
  if (typeof v === 'string') return goJSONString(v);
  if (Array.isArray(v)) return '[' + v.map(ctyJSON).join(',') + ']';
  const keys = Object.keys(v).sort(compareStrings);
  return '{' + keys.map((k) => goJSONString(k) + ':' + ctyJSON(v[k] as Value)).join(',') + '}';
}

/** JSON text to a value: objects as null-prototype records, numbers as doubles. Errors worded as Go's encoding/json. */
export function parseJSON(text: string): Value {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FunctionError(goJSONError(text, (e as Error).message));
  }
  return fromJS(parsed);
}

function goJSONError(text: string, message: string): string {
  // cty reads with a token decoder: a truncated document is io.EOF, trailing text is refused by name.
  if (text.trim() === '' || /end of JSON input|Unterminated string/.test(message)) return 'EOF';
  if (/non-whitespace character after JSON/.test(message)) return 'extraneous data after JSON object';
  const pos = /position (\d+)/.exec(message);
  const token = /Unexpected token '(.)'/.exec(message);
  const at = pos ? Number(pos[1]) : token ? text.indexOf(token[1] as string) : -1;
  const c = at >= 0 ? text[at] : undefined;
  if (c === undefined) return 'EOF';
  const quoted = c === "'" ? "'\\''" : `'${c}'`;
  const first = text.length - text.trimStart().length;
  return at === first ? `invalid character ${quoted} looking for beginning of value` : `invalid character ${quoted}`;
}

function fromJS(x: unknown): Value {
  if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (Array.isArray(x)) return x.map(fromJS);
  return makeObject(Object.entries(x as Record<string, unknown>).map(([k, e]) => [k, fromJS(e)] as const));
}

/**
 * Encodings: base64 and URL encoding (hashicorp/go-cty-funcs encoding), JSON and CSV (go-cty stdlib).
 * https://github.com/hashicorp/go-cty-funcs/tree/main/encoding
 */
import { FunctionError, makeObject, type StdlibFunction, type Value } from '../value.js';
import { fixed, str } from './args.js';
import { ctyJSON, parseJSON } from './json.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go's url.QueryEscape: unreserved bytes kept, space as '+', the rest %XX. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** encoding/csv with FieldsPerRecord set by the header: RFC 4180, quotes doubled, \r\n or \n. */
function parseCSV(text: string): string[][] {
  const rows: string[][] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const row: string[] = [];
    const rowLine = line;
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new FunctionError(`CSV parse error on line ${rowLine}: extraneous or missing " in quoted-field`);
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
          throw new FunctionError(`CSV parse error on line ${line}: extraneous or missing " in quoted-field`);
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') throw new FunctionError(`CSV parse error on line ${line}: bare " in non-quoted-field`);
          field += text[i];
          i++;
        }
      }
      row.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    // encoding/csv skips empty lines
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
  }
  return rows;
}

export const encodingFunctions: Record<string, StdlibFunction> = {
  base64encode: fixed(1, (a) => Buffer.from(str(a, 0, 'str'), 'utf8').toString('base64')),
  base64decode: fixed(1, (a) => {
    const s = str(a, 0, 'str');
    const clean = s.replace(/[\r\n]/g, '');
    if (!BASE64.test(clean)) throw new FunctionError(`failed to decode base64 data '${s}'`);
    const bytes = Buffer.from(clean, 'base64');
    const out = bytes.toString('utf8');
    if (!Buffer.from(out, 'utf8').equals(bytes))
      throw new FunctionError('the result of decoding the the provided string is not valid UTF-8');
    return out;
  }),
  urlencode: fixed(1, (a) => queryEscape(str(a, 0, 'str'))),
  jsonencode: fixed(1, (a) => ctyJSON(a[0] ?? null)),
  jsondecode: fixed(1, (a) => parseJSON(str(a, 0, 'str'))),
  csvdecode: fixed(1, (a) => {
    const rows = parseCSV(str(a, 0, 'str'));
    const header = rows[0];
    if (header === undefined) throw new FunctionError('missing header line');
    const seen = new Set<string>();
    for (const h of header) {
      if (seen.has(h)) throw new FunctionError(`duplicate column name ${JSON.stringify(h)}`);
      seen.add(h);
    }
    return rows.slice(1).map((cols, r): Value => {
      if (cols.length !== header.length)
        throw new FunctionError(`CSV parse error on line ${r + 2}: wrong number of fields`);
      return makeObject(cols.map((c, k) => [header[k] as string, c] as const));
    });
  }),
};

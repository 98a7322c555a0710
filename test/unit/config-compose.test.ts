import { describe, expect, it } from 'vitest';
import { bytesSize, cleanPath, mapCompose, ramInBytes } from '../../src/config/compose/index.js';
import { InterpolationError, interpolateCompose, parseDotEnv } from '../../src/config/compose/interpolate.js';
import { parseFileText } from '../../src/config/parse.js';

const env: Record<string, string> = { SET: 'v', EMPTY: '' };
const lookup = (n: string): string | undefined => env[n];

describe('compose interpolation', () => {
  it.each([
    ['${SET}', 'v'],
    ['$SET-x', 'v-x'],
    ['${UNSET}', ''],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${SET:+r}', 'r'],
    ['${EMPTY:+r}', ''],
    ['${EMPTY+r}', 'r'],
    ['${UNSET+r}', ''],
    ['${UNSET:-${SET}}', 'v'],
    ['$$SET and $${SET}', '$SET and ${SET}'],
    ['a $ b', 'a $ b'],
    ['${SET:?boom}', 'v'],
  ])('%s → %s', (text, want) => {
    expect(interpolateCompose(text, lookup)).toBe(want);
  });

  it.each([
    ['${UNSET:?needs a value}', 'required variable UNSET is missing a value: needs a value'],
    ['${EMPTY:?}', 'required variable EMPTY is missing a value'],
    ['${UNSET?x}', 'required variable UNSET is missing a value: x'],
    ['${1BAD}', 'invalid interpolation format'],
    ['${OPEN', 'unterminated'],
  ])('%s fails: %s', (text, message) => {
    expect(() => interpolateCompose(text, lookup)).toThrow(InterpolationError);
    expect(() => interpolateCompose(text, lookup)).toThrow(message);
  });

  it('.env: comments, export, quotes, expansion', () => {
    expect(parseDotEnv('# c\nexport A=1\nB="x ${A}\\n"\nC=\'${A}\'\nD=plain # comment\n', () => undefined)).toEqual({ A: '1', B: 'x 1\n', C: '${A}', D: 'plain' });
  });
});

describe('compose helpers', () => {
  it('paths cleaned as Go does', () => {
    expect([cleanPath('./web'), cleanPath('../a/./b/'), cleanPath('.'), cleanPath('/x/../y'), cleanPath('a/..')]).toEqual(['web', '../a/b', '.', '/y', '.']);
  });
  it('sizes as go-units writes and docker reads them', () => {
    expect(ramInBytes('128m')).toBe(134217728);
    expect(ramInBytes('2gb')).toBe(2 * 1024 ** 3);
    expect(ramInBytes('12 parsecs')).toBeUndefined();
    expect([bytesSize(134217728), bytesSize(1536), bytesSize(1000), bytesSize(100000)]).toEqual(['128MiB', '1.5KiB', '1000B', '97.66KiB']);
  });
});

describe('mapCompose', () => {
  const map = (text: string, e: Record<string, string> = {}) => mapCompose(parseFileText(text, 'compose.yaml'), { lookup: (n) => e[n] });

  it('services with build become targets, the others are skipped; default lists them', () => {
    const r = map('services:\n  db:\n    image: pg\n  web.app:\n    image: me/web\n    build: ./web/\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.config).toEqual({ group: { default: { targets: ['web_app'] } }, target: { web_app: { context: 'web', tags: ['me/web'], 'extra-hosts': {} } } });
    expect(r.sourcePath(['target', 'web_app', 'tags'])).toEqual(['services', 'web.app', 'image']);
  });

  it('bare args take the service environment, then the environment, else are dropped', () => {
    const r = map('services:\n  a:\n    environment: [S=svc]\n    build:\n      context: .\n      args: [S, E, N, L=1]\n', { E: 'env', S: 'loses' });
    expect(r.config.target?.a?.args).toEqual({ S: 'svc', E: 'env', L: '1' });
  });

  it('every problem at file:line:column, unknown build keys with a suggestion', () => {
    const r = map('services:\n  a:\n    build:\n      contxt: .\n      tags: x\n      no_cache: maybe\n      args:\n        X: ${NEED:?set it}\n');
    expect(r.diagnostics.map((d) => [d.line, d.column, d.message, d.suggestion]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([
      [4, 7, 'unknown key "contxt" in services.a.build', 'context'],
      [5, 13, 'tags must be a list of strings', undefined],
      [6, 17, 'no_cache must be true or false', undefined],
      [8, 12, 'required variable NEED is missing a value: set it', undefined],
    ]);
  });

  it('x-bake: tags first, then the image fallback does not apply; platforms as one string', () => {
    const r = map('services:\n  a:\n    image: me/a\n    build:\n      platforms: [linux/amd64]\n      x-bake:\n        tags: [me/a:x]\n        platforms: linux/arm64 linux/amd64\n        pull: true\n');
    expect(r.config.target?.a).toMatchObject({ tags: ['me/a:x'], platforms: ['linux/amd64', 'linux/arm64'], pull: true });
  });

  it('secrets from the top-level definitions; ssh sorted; service: contexts', () => {
    const r = map(
      'services:\n  a:\n    build:\n      secrets: [f, {source: e}]\n      ssh: [z, a=/k]\n      additional_contexts: {b: service:b.c, l: ./x}\nsecrets:\n  f: {file: ./s.txt}\n  e: {environment: TOK}\n',
    );
    expect(r.config.target?.a).toMatchObject({ secret: ['id=f,src=s.txt', 'id=e,env=TOK'], ssh: ['a=/k', 'z'], contexts: { b: 'target:b_c', l: 'x' } });
  });
});

import { describe, expect, it } from 'vitest';
import { formatCsvEntry, parseCache, parseCsvEntry, parseOutput, parseSecret, parseSsh, splitCsvFields } from '../../src/plan/index.js';

describe('splitCsvFields', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['"name=a,b",push=true', ['name=a,b', 'push=true']],
    ['"say ""hi""",x', ['say "hi"', 'x']],
    ['a,', ['a', '']],
  ])('%s', (text, fields) => {
    expect(splitCsvFields(text)).toEqual(fields);
  });
  it('rejects an unterminated quote', () => {
    expect(() => splitCsvFields('"abc')).toThrow(/unterminated quote/);
  });
});

describe('parseCsvEntry', () => {
  it.each([
    ['type=local,dest=out', { type: 'local', attrs: { dest: 'out' } }],
    ['type=image,"name=a:1,b:2",push=true', { type: 'image', attrs: { name: 'a:1,b:2', push: 'true' } }],
    ['ref=user/app:cache', { type: '', attrs: { ref: 'user/app:cache' } }],
    ['type=registry,ref=x=y', { type: 'registry', attrs: { ref: 'x=y' } }],
  ])('%s', (text, entry) => {
    expect(parseCsvEntry(text)).toEqual(entry);
  });
  it('round-trips through formatCsvEntry, quoting fields with commas', () => {
    const e = { type: 'image', attrs: { name: 'a:1,b:2', push: 'true' } };
    expect(formatCsvEntry(e)).toBe('type=image,"name=a:1,b:2",push=true');
    expect(parseCsvEntry(formatCsvEntry(e))).toEqual(e);
  });
});

describe('parseOutput / parseCache', () => {
  it.each([
    ['-', { type: 'tar', attrs: { dest: '-' } }],
    ['out/', { type: 'local', attrs: { dest: 'out/' } }],
    ['type=oci,dest=a.tar', { type: 'oci', attrs: { dest: 'a.tar' } }],
  ])('output %s', (text, entry) => {
    expect(parseOutput(text)).toEqual(entry);
  });
  it('object form', () => {
    expect(parseOutput({ type: 'image', push: true })).toEqual({ type: 'image', attrs: { push: 'true' } });
  });
  it('a bare cache value is a registry ref', () => {
    expect(parseCache('user/app:cache')).toEqual({ type: 'registry', attrs: { ref: 'user/app:cache' } });
  });
});

describe('parseSecret', () => {
  it.each([
    ['id=npm,env=NPM_TOKEN', { id: 'npm', source: { kind: 'env', env: 'NPM_TOKEN' } }],
    ['id=aws,src=~/.aws/credentials', { id: 'aws', source: { kind: 'file', path: '~/.aws/credentials' } }],
    ['id=aws,source=creds', { id: 'aws', source: { kind: 'file', path: 'creds' } }],
    ['type=env,id=GITHUB_TOKEN', { id: 'GITHUB_TOKEN', source: { kind: 'env', env: 'GITHUB_TOKEN' } }],
    ['id=TOKEN', { id: 'TOKEN', source: { kind: 'env', env: 'TOKEN' } }],
    ['env=TOKEN', { id: 'TOKEN', source: { kind: 'env', env: 'TOKEN' } }],
  ])('%s', (text, entry) => {
    expect(parseSecret(text)).toEqual(entry);
  });
  it.each([
    ['type=file,id=x', /type=file needs src/],
    ['src=file', /needs an id/],
    ['type=vault,id=x', /unsupported secret type/],
    ['id=x,env=A,src=b', /both env= and src=/],
  ])('rejects %s', (text, message) => {
    expect(() => parseSecret(text)).toThrow(message);
  });
});

describe('parseSsh', () => {
  it.each([
    ['default', { id: 'default', paths: [] }],
    ['default=/run/agent.sock', { id: 'default', paths: ['/run/agent.sock'] }],
    ['key=/a/id_rsa,/b/id_ed25519', { id: 'key', paths: ['/a/id_rsa', '/b/id_ed25519'] }],
  ])('%s', (text, entry) => {
    expect(parseSsh(text)).toEqual(entry);
  });
  it('object form', () => {
    expect(parseSsh({ id: 'gh', paths: '/k1,/k2' })).toEqual({ id: 'gh', paths: ['/k1', '/k2'] });
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { dockerConfigAuth } from '../../src/buildkit/index.js';

let dir: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-auth-'));
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  await fs.writeFile(
    path.join(dir, 'config.json'),
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
        'plain.example': { auth: b64('alice:pa:ss') },
        'token.example': { identitytoken: 'idtok' },
      },
      credHelpers: { 'helped.example': 'fake' },
    }),
  );
  // A stand-in credential helper: host on stdin, JSON on stdout; "not found" for unknown hosts.
  await fs.writeFile(
    path.join(dir, 'docker-credential-fake'),
    '#!/bin/sh\nread host\nif [ "$host" = helped.example ]; then echo \'{"ServerURL":"helped.example","Username":"bob","Secret":"s3"}\'; else echo "credentials not found in native keychain"; exit 1; fi\n',
    { mode: 0o755 },
  );
  env = { DOCKER_CONFIG: dir, PATH: `${dir}:${process.env['PATH'] ?? ''}` };
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test.each([
  { host: 'docker.io', want: { username: 'hubuser', secret: 'hubpass' } },
  { host: 'registry-1.docker.io', want: { username: 'hubuser', secret: 'hubpass' } },
  { host: 'plain.example', want: { username: 'alice', secret: 'pa:ss' } },
  { host: 'token.example', want: { username: '', secret: 'idtok' } },
  { host: 'helped.example', want: { username: 'bob', secret: 's3' } },
  { host: 'unknown.example', want: undefined },
])('credentials for $host', async ({ host, want }) => {
  expect(await dockerConfigAuth(env)(host)).toEqual(want);
});

test('no config file: anonymous', async () => {
  expect(await dockerConfigAuth({ DOCKER_CONFIG: path.join(dir, 'missing'), PATH: env['PATH'] })('docker.io')).toBeUndefined();
});

/**
 * SSH agent forwarding (`RUN --mount=type=ssh`) through the real CLI on both engines: a real ssh-agent
 * holding a fresh key, and inside the build the host's real `ssh-add` (copied into the context with the
 * libraries it links, run through their dynamic loader) talking to it through BuildKit's socket, the
 * session and tsbake's relay. The relay is read-only: removing identities from inside fails and the
 * agent keeps its key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engines, requireEngine, type EngineRef } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';

const uniq = (): string => Math.random().toString(36).slice(2, 10);

let home: string;
let agentSocket: string;
let agent: ResultPromise | undefined;
let fingerprint: string;

/** ssh-add plus every library `ldd` names, flat in `dir`, so `dir/ld-linux… --library-path dir dir/ssh-add` runs anywhere. */
async function copySshAdd(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  copyFileSync('/usr/bin/ssh-add', path.join(dir, 'ssh-add'));
  const { stdout } = await execa('ldd', ['/usr/bin/ssh-add']);
  let loader = '';
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)/.exec(line);
    if (!m) continue;
    copyFileSync(m[1]!, path.join(dir, path.basename(m[1]!)));
    if (/ld-linux/.test(m[1]!)) loader = path.basename(m[1]!);
  }
  if (!loader) throw new Error(`no dynamic loader in ldd output:\n${stdout}`);
  return `/tools/${loader} --library-path /tools /tools/ssh-add`;
}

/** A fresh key in a new ssh-agent of its own, under `home`. */
async function startAgent(name: string): Promise<{ socket: string; fingerprint: string; stop: () => Promise<void> }> {
  const key = path.join(home, `id_${name}_${uniq()}`);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `tsbake-test-${name}`, '-f', key]);
  const socket = `${key}.sock`;
  const child = execa('ssh-agent', ['-D', '-a', socket], { reject: false, stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline) throw new Error('ssh-agent did not create its socket');
    await new Promise((r) => setTimeout(r, 20));
  }
  await execa('ssh-add', [key], { env: { SSH_AUTH_SOCK: socket } });
  const fp = (await execa('ssh-keygen', ['-l', '-f', `${key}.pub`])).stdout.split(' ')[1]!;
  return {
    socket,
    fingerprint: fp,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
    },
  };
}

beforeAll(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'tsbake-ssh-'));
  const key = path.join(home, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tsbake-test-key', '-f', key]);
  agentSocket = path.join(home, 'agent.sock');
  agent = execa('ssh-agent', ['-D', '-a', agentSocket], { reject: false, stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(agentSocket)) {
    if (Date.now() > deadline) throw new Error('ssh-agent did not create its socket');
    await new Promise((r) => setTimeout(r, 20));
  }
  await execa('ssh-add', [key], { env: { SSH_AUTH_SOCK: agentSocket } });
  fingerprint = (await execa('ssh-keygen', ['-l', '-f', `${key}.pub`])).stdout.split(' ')[1]!;
});

afterAll(async () => {
  agent?.kill('SIGTERM');
  await agent;
  rmSync(home, { recursive: true, force: true });
});

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('ssh forwarding on %s', (_name, engine) => {
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it('a real ssh-add in RUN --mount=type=ssh lists the agent’s key, and cannot remove it', async () => {
    const marker = uniq();
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    ssh: ["default"]\n',
    });
    const sshAdd = await copySshAdd(path.join(dir, 'tools'));
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      'FROM local/busybox:1\nCOPY tools /tools\n' +
        `RUN --mount=type=ssh echo ${marker} && test -S "$SSH_AUTH_SOCK" && ${sshAdd} -l\n` +
        `RUN --mount=type=ssh echo ${marker} && if ${sshAdd} -D; then echo REMOVED; exit 1; else echo refused-as-expected; fi\n`,
    );
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engine.host, SSH_AUTH_SOCK: agentSocket } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(fingerprint);
    expect(r.stderr).toContain('tsbake-test-key');
    expect(r.stderr).toContain('refused-as-expected');
    // The agent still holds the key.
    const after = await execa('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: agentSocket } });
    expect(after.stdout).toContain(fingerprint);
  });

  it('key files are loaded into a private agent for the run, stopped afterwards', async () => {
    const marker = uniq();
    const key = path.join(home, 'id_ed25519');
    const dir = await project({
      'tsbake.yaml': `target:\n  app:\n    ssh: ["deploy=${key}"]\n`,
    });
    const sshAdd = await copySshAdd(path.join(dir, 'tools'));
    writeFileSync(path.join(dir, 'Dockerfile'), `FROM local/busybox:1\nCOPY tools /tools\nRUN --mount=type=ssh,id=deploy,required=true echo ${marker} && ${sshAdd} -l\n`);
    // No agent of the user's: the key file alone (outside the project: --allow, docs/push-and-entitlements.md).
    const r = await runCli(['run', 'app', '--progress', 'plain', '--allow', `fs.read=${home}`], { cwd: dir, env: { DOCKER_HOST: engine.host, SSH_AUTH_SOCK: '' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(fingerprint);
    // The private agent is gone with the run.
    const agents = (await execa('pgrep', ['-f', 'ssh-agent -D -a /tmp/tsbake-run-'], { reject: false })).stdout.trim();
    expect(agents).toBe('');
  });

  it('each target reaches only its own agents: the same id names different agents, a target without ssh gets none', async () => {
    const marker = uniq();
    // Two more agents, each with a key of its own.
    const other = await startAgent('other');
    try {
      const dir = await project({
        'tsbake.yaml':
          'target:\n' +
          `  a:\n    dockerfile: a.Dockerfile\n    ssh: ["k=${agentSocket}"]\n    output: ["type=local,dest=out/a"]\n` +
          `  b:\n    dockerfile: b.Dockerfile\n    ssh: ["k=${other.socket}"]\n    output: ["type=local,dest=out/b"]\n` +
          '  c:\n    dockerfile: c.Dockerfile\n    output: ["type=local,dest=out/c"]\n' +
          'group:\n  default:\n    targets: [a, b, c]\n',
      });
      const sshAdd = await copySshAdd(path.join(dir, 'tools'));
      // Each Dockerfile differs (BuildKit does not key RUN cache on the agent), and writes what it sees to /out.
      for (const t of ['a', 'b', 'c']) {
        writeFileSync(
          path.join(dir, `${t}.Dockerfile`),
          'FROM local/busybox:1 AS b\nCOPY tools /tools\n' +
            `RUN --mount=type=ssh,id=k,required=false echo ${t}-${marker} && ` +
            `if [ -S "$SSH_AUTH_SOCK" ]; then ${sshAdd} -l > /out; else echo no-agent > /out; fi\n` +
            'FROM scratch\nCOPY --from=b /out /out\n',
        );
      }
      // The agents' sockets live outside the project: --allow (docs/push-and-entitlements.md).
      const allow = ['--allow', `fs.read=${path.dirname(agentSocket)}`, '--allow', `fs.read=${path.dirname(other.socket)}`];
      const r = await runCli(['run', '--progress', 'plain', ...allow], { cwd: dir, env: { DOCKER_HOST: engine.host, SSH_AUTH_SOCK: '' } });
      expect(r.code, r.stderr).toBe(0);
      const seen = (t: string): string => readFileSync(path.join(dir, `out/${t}/out`), 'utf8');
      expect(seen('a')).toContain(fingerprint);
      expect(seen('a')).not.toContain(other.fingerprint);
      expect(seen('b')).toContain(other.fingerprint);
      expect(seen('b')).not.toContain(fingerprint);
      expect(seen('c')).toBe('no-agent\n');
    } finally {
      await other.stop();
    }
  });

  it('a required ssh mount without an ssh entry fails naming the missing id', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app: {}\n',
      Dockerfile: `FROM local/busybox:1\nRUN --mount=type=ssh,required=true echo ${uniq()}\n`,
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engine.host, SSH_AUTH_SOCK: agentSocket } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no SSH agent forwarded as "default"');
  });
});

describe('ssh entries that cannot be forwarded', () => {
  beforeAll(async () => {
    await requireEngine(engines.docker20);
  });

  it('are refused before any build, one message each, exit 2', async () => {
    const notKey = path.join(home, 'not-a-key');
    writeFileSync(notKey, 'just text\n', { mode: 0o600 });
    const locked = path.join(home, 'locked_ed25519');
    if (!existsSync(locked)) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', locked]);
    const dir = await project({
      'tsbake.yaml': `target:\n  a:\n    ssh: ["default"]\n  b:\n    ssh: ["key=${notKey}"]\n  c:\n    ssh: ["gone=/nonexistent/agent.sock"]\n  d:\n    ssh: ["locked=${locked}"]\ngroup:\n  default:\n    targets: [a, b, c, d]\n`,
      Dockerfile: 'FROM local/busybox:1\nRUN echo never-built\n',
    });
    const r = await runCli(['run', '--progress', 'plain', '--allow', `fs.read=${home}`, '--allow', 'fs.read=/nonexistent'], {
      cwd: dir,
      env: { DOCKER_HOST: engines.docker20.host, SSH_AUTH_SOCK: '' },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('target "a": ssh "default" forwards $SSH_AUTH_SOCK, which is not set');
    expect(r.stderr).toContain(`target "b": ssh "key": could not load ${notKey}: `);
    expect(r.stderr).toContain('is it an OpenSSH private key');
    expect(r.stderr).toContain('target "c": ssh "gone": /nonexistent/agent.sock does not exist');
    expect(r.stderr).toContain(`target "d": ssh "locked": could not load ${locked}`);
    expect(r.stderr).toContain('the key has a passphrase: add it to your own agent (ssh-add)');
    expect(r.stderr).not.toContain('never-built');
  });
});

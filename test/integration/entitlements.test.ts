/**
 * `--allow` through the real CLI, buildx's rules: every kind of local path a target reads or writes
 * (contexts, named contexts, a Dockerfile outside the context, secret and SSH key files, local caches,
 * local/tar/oci/docker outputs) is refused outside the working directory without the matching
 * `--allow` — before any solve, one message, exit 2 — and builds with it (Docker 26, docker driver);
 * symlinks that lead out of the project and `..` are judged by where they really point; network.host
 * and security.insecure need their own allow; a config's `allow:` is rejected; on a terminal (a real
 * pseudo-terminal from python3's pty module) tsbake asks once, y/N.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine } from '../helpers/env.js';
import { bin, project, runCli } from '../helpers/cli.js';

const env = { DOCKER_HOST: engines.docker26.host };
const DOCKERFILE = 'FROM local/busybox:1\nRUN echo entitled\n';

/** root/proj (the working directory, holding tsbake.yaml) and root/outside (everything else). */
async function layout(targetYaml: string, files: Record<string, string> = {}): Promise<{ root: string; proj: string }> {
  const root = await project({
    'proj/tsbake.yaml': `target:\n  app:\n${targetYaml}`,
    'proj/Dockerfile': DOCKERFILE,
    'proj/sub/.keep': '',
    'outside/w/.keep': '',
    ...files,
  });
  return { root, proj: path.join(root, 'proj') };
}

const run = (proj: string, args: string[] = []): ReturnType<typeof runCli> => runCli(['run', 'app', '--progress', 'plain', ...args], { cwd: proj, env });

function expectRefused(r: { code: number; stderr: string }, flags: string[]): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain('Your build is requesting privileges for following possibly insecure capabilities:');
  expect(r.stderr).toContain(`Pass "${flags.join(' ')}" to grant requested privileges.`);
  expect(r.stderr).toContain('additional privileges requested');
  // Refused before any builder was asked to build.
  expect(r.stderr).not.toContain('building with');
}

interface Kind {
  kind: string;
  yaml: string;
  files?: Record<string, string>;
  flag: string;
  allow: string;
  /** What the allowed build left behind, relative to root. */
  wrote?: string;
}

let sshKey = '';
const kinds: Kind[] = [
  { kind: 'context', yaml: '    context: ../outside/ctx\n', files: { 'outside/ctx/Dockerfile': DOCKERFILE }, flag: '--allow=fs.read=../outside/ctx', allow: 'fs.read=../outside' },
  {
    kind: 'named context',
    yaml: '    contexts:\n      extra: ../outside/nc\n    dockerfile-inline: "FROM local/busybox:1\\nCOPY --from=extra f /f\\n"\n',
    files: { 'outside/nc/f': 'named' },
    flag: '--allow=fs.read=../outside/nc',
    allow: 'fs.read=../outside/nc',
  },
  { kind: 'dockerfile outside the context', yaml: '    dockerfile: ../outside/df/Dockerfile\n', files: { 'outside/df/Dockerfile': DOCKERFILE }, flag: '--allow=fs.read=../outside/df/Dockerfile', allow: 'fs.read=../outside/df' },
  {
    kind: 'secret file',
    yaml: '    secret: ["id=s,src=../outside/secret.txt"]\n    dockerfile-inline: "FROM local/busybox:1\\nRUN --mount=type=secret,id=s test -s /run/secrets/s\\n"\n',
    files: { 'outside/secret.txt': 'hush' },
    flag: '--allow=fs.read=../outside/secret.txt',
    allow: 'fs.read=../outside/secret.txt',
  },
  {
    kind: 'ssh key file',
    yaml: '    ssh: ["k=../outside/ssh/id_ed25519"]\n    dockerfile-inline: "FROM local/busybox:1\\nRUN --mount=type=ssh,id=k true\\n"\n',
    flag: '--allow=fs.read=../outside/ssh/id_ed25519',
    allow: 'fs.read=../outside/ssh',
  },
  {
    kind: 'cache-from type=local',
    yaml: '    cache-from: ["type=local,src=../outside/cache"]\n',
    files: { 'outside/cache/.keep': '' },
    flag: '--allow=fs.read=../outside/cache',
    allow: 'fs.read=../outside/cache',
  },
  { kind: 'cache-to type=local', yaml: '    cache-to: ["type=local,dest=../outside/w/cache"]\n', flag: '--allow=fs.write=../outside/w/cache', allow: 'fs.write=../outside/w', wrote: 'outside/w/cache/index.json' },
  { kind: 'output type=local', yaml: '    output: ["type=local,dest=../outside/w/out"]\n', flag: '--allow=fs.write=../outside/w/out', allow: 'fs.write=../outside/w/out', wrote: 'outside/w/out/bin' },
  { kind: 'output type=tar', yaml: '    output: ["type=tar,dest=../outside/w/x.tar"]\n', flag: '--allow=fs.write=../outside/w/x.tar', allow: 'fs=../outside', wrote: 'outside/w/x.tar' },
  { kind: 'output type=oci', yaml: '    output: ["type=oci,dest=../outside/w/x.oci"]\n', flag: '--allow=fs.write=../outside/w/x.oci', allow: 'fs.write=../outside/w', wrote: 'outside/w/x.oci' },
  { kind: 'output type=docker,dest=', yaml: '    output: ["type=docker,dest=../outside/w/d.tar"]\n', flag: '--allow=fs.write=../outside/w/d.tar', allow: 'fs.write=*', wrote: 'outside/w/d.tar' },
];

beforeAll(async () => {
  await requireEngine(engines.docker26);
  const keyDir = await project({});
  sshKey = path.join(keyDir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', sshKey]);
});

async function withSshKey(root: string, k: Kind): Promise<void> {
  if (k.kind !== 'ssh key file') return;
  await fs.mkdir(path.join(root, 'outside/ssh'), { recursive: true });
  await fs.copyFile(sshKey, path.join(root, 'outside/ssh/id_ed25519'));
  await fs.chmod(path.join(root, 'outside/ssh/id_ed25519'), 0o600);
}

describe.each(kinds)('$kind outside the working directory', (k) => {
  it('is refused without --allow: exit 2, the missing flag named, no solve', async () => {
    const { root, proj } = await layout(k.yaml, k.files);
    await withSshKey(root, k);
    expectRefused(await run(proj), [k.flag]);
    if (k.wrote) await expect(fs.stat(path.join(root, k.wrote))).rejects.toThrow(/ENOENT/);
  });

  it(`builds with --allow ${k.allow}`, async () => {
    const { root, proj } = await layout(k.yaml, k.files);
    await withSshKey(root, k);
    const r = await run(proj, ['--allow', k.allow]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('requesting privileges');
    if (k.wrote) expect((await fs.stat(path.join(root, k.wrote))).isFile() || (await fs.stat(path.join(root, k.wrote))).isDirectory()).toBe(true);
  });
});

describe('paths are judged by where they really are', () => {
  it('a symlinked context inside the project that points out of it is refused, by its real path', async () => {
    const { root, proj } = await layout('    context: link\n', { 'outside/ctx/Dockerfile': DOCKERFILE });
    await fs.symlink(path.join(root, 'outside/ctx'), path.join(proj, 'link'));
    expectRefused(await run(proj), ['--allow=fs.read=../outside/ctx']);
    const allowed = await run(proj, ['--allow', 'fs.read=../outside/ctx']);
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it('an output through a relative symlink to a directory outside is refused; a symlink within the project is not', async () => {
    const { root, proj } = await layout('    output: ["type=local,dest=outlink/out"]\n');
    await fs.symlink('../outside/w', path.join(proj, 'outlink'));
    expectRefused(await run(proj), ['--allow=fs.write=../outside/w/out']);
    await fs.rm(path.join(proj, 'outlink'));
    await fs.symlink('sub', path.join(proj, 'outlink'));
    const inside = await run(proj);
    expect(inside.code, inside.stderr).toBe(0);
    expect((await fs.stat(path.join(proj, 'sub/out/bin'))).isDirectory()).toBe(true);
    await expect(fs.stat(path.join(root, 'outside/w/out'))).rejects.toThrow(/ENOENT/);
  });

  it('a dangling symlink is followed to where it would write', async () => {
    const { root, proj } = await layout('    output: ["type=tar,dest=dangling"]\n');
    await fs.symlink(path.join(root, 'outside/w/new.tar'), path.join(proj, 'dangling'));
    expectRefused(await run(proj), ['--allow=fs.write=../outside/w/new.tar']);
  });

  it('an --allow path given through a symlink counts as its target', async () => {
    const { root, proj } = await layout('    context: ../outside/ctx\n', { 'outside/ctx/Dockerfile': DOCKERFILE });
    await fs.symlink(path.join(root, 'outside'), path.join(proj, 'alias'));
    const r = await run(proj, ['--allow', 'fs.read=alias']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('`..` that climbs out is refused; `..` that stays inside needs nothing', async () => {
    const out = await layout('    context: sub/../../outside/ctx\n', { 'outside/ctx/Dockerfile': DOCKERFILE });
    expectRefused(await run(out.proj), ['--allow=fs.read=../outside/ctx']);
    const inside = await layout('    context: sub/..\n');
    const r = await run(inside.proj);
    expect(r.code, r.stderr).toBe(0);
  });

  it('the working directory is where tsbake runs, not where the config is: -f ../proj/tsbake.yaml from a sibling is refused', async () => {
    const { root, proj } = await layout('    description: plain\n');
    await fs.mkdir(path.join(root, 'elsewhere'));
    const r = await runCli(['run', 'app', '--progress', 'plain', '-f', '../proj/tsbake.yaml'], { cwd: path.join(root, 'elsewhere'), env });
    expectRefused(r, ['--allow=fs.read=../proj']);
    const ok = await runCli(['run', 'app', '--progress', 'plain', '-f', path.join(proj, 'tsbake.yaml'), '--allow', `fs.read=${proj}`], { cwd: path.join(root, 'elsewhere'), env });
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('--set', () => {
  it('a path typed on the command line with --set is granted by itself, as in buildx; one from the file is not', async () => {
    const { root, proj } = await layout('    description: plain\n');
    const r = await run(proj, ['--set', 'app.output=type=local,dest=../outside/w/set-out']);
    expect(r.code, r.stderr).toBe(0);
    expect((await fs.stat(path.join(root, 'outside/w/set-out/bin'))).isDirectory()).toBe(true);
    const fromFile = await layout('    output: ["type=local,dest=../outside/w/out"]\n');
    expectRefused(await run(fromFile.proj, ['--set', 'app.args.X=1']), ['--allow=fs.write=../outside/w/out']);
  });
});

describe('one refusal lists everything missing', () => {
  it('reads, writes, the same path read and written, network.host and security.insecure', async () => {
    const { proj } = await layout(
      [
        '    context: ../outside/ctx',
        '    cache-from: ["type=local,src=../outside/both"]',
        '    cache-to: ["type=local,dest=../outside/both"]',
        '    output: ["type=local,dest=../outside/w/out"]',
        '    entitlements: ["network.host", "security.insecure"]',
        '',
      ].join('\n'),
      { 'outside/ctx/Dockerfile': DOCKERFILE, 'outside/both/.keep': '' },
    );
    const r = await run(proj);
    expectRefused(r, ['--allow=network.host', '--allow=security.insecure', '--allow=fs=../outside/both', '--allow=fs.read=../outside/ctx', '--allow=fs.write=../outside/w/out']);
    expect(r.stderr).toContain(' - Running build containers that can access host network');
    expect(r.stderr).toContain(' - Running privileged containers that can make system changes');
    expect(r.stderr).toContain(' - Read and write access to path ../outside/both');
    expect(r.stderr).toContain(' - Read access to path ../outside/ctx');
    expect(r.stderr).toContain(' - Write access to path ../outside/w/out');
  });
});

describe('network.host and security.insecure', () => {
  it('entitlements: [network.host] needs --allow network.host, then RUN --network=host builds', async () => {
    const { proj } = await layout('    entitlements: ["network.host"]\n    dockerfile-inline: "FROM local/busybox:1\\nRUN --network=host echo host-net\\n"\n');
    expectRefused(await run(proj), ['--allow=network.host']);
    const r = await run(proj, ['--allow', 'network.host']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('network: host needs --allow network.host too', async () => {
    const { proj } = await layout('    network: host\n');
    expectRefused(await run(proj), ['--allow=network.host']);
    const r = await run(proj, ['--allow', 'network.host']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('security.insecure needs --allow security.insecure (then it is up to the daemon)', async () => {
    const { proj } = await layout('    entitlements: ["security.insecure"]\n');
    expectRefused(await run(proj), ['--allow=security.insecure']);
    const r = await run(proj, ['--allow', 'security.insecure']);
    expect(r.code).not.toBe(2);
    expect(r.stderr).not.toContain('requesting privileges');
  });
});

describe('config and flag errors', () => {
  it('`allow:` at the top of a config is rejected, naming --allow', async () => {
    const root = await project({ 'tsbake.yaml': 'allow: ["fs=*"]\ntarget:\n  app: {}\n', Dockerfile: DOCKERFILE });
    const r = await runCli(['validate'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tsbake\.yaml:1:1: "allow" is not accepted in a config file: a config cannot grant itself access\. Pass --allow on the command line/);
  });

  it('an unknown --allow key is a usage error', async () => {
    const { proj } = await layout('    description: plain\n');
    const r = await run(proj, ['--allow', 'fs.exec=/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--allow: unknown entitlement key "fs.exec"');
  });
});

/**
 * Runs the CLI on a pseudo-terminal (python3's pty module), answers `answer` once the y/N question
 * appears, and returns everything the terminal showed and the exit code.
 */
async function onTerminal(cwd: string, args: string[], answer: string): Promise<{ code: number; output: string }> {
  const script = [
    'import os, pty, sys',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    '    os.chdir(sys.argv[1])',
    '    os.execvp(sys.argv[2], sys.argv[2:])',
    'out = b""',
    'answered = False',
    'while True:',
    '    try:',
    '        data = os.read(fd, 4096)',
    '    except OSError:',
    '        break',
    '    if not data:',
    '        break',
    '    out += data',
    '    if not answered and b"[y/N]" in out:',
    '        os.write(fd, os.environ["ANSWER"].encode() + b"\\n")',
    '        answered = True',
    'sys.stdout.buffer.write(out)',
    '_, status = os.waitpid(pid, 0)',
    'sys.exit(os.waitstatus_to_exitcode(status))',
  ].join('\n');
  const r = await execa('python3', ['-c', script, cwd, 'node', bin, ...args], {
    env: { ...env, ANSWER: answer, CI: 'true' },
    reject: false,
    timeout: 120_000,
  });
  return { code: r.exitCode ?? -1, output: String(r.stdout) };
}

describe('on a terminal tsbake asks once', () => {
  it('y: the build goes on', async () => {
    const { proj } = await layout('    context: ../outside/ctx\n', { 'outside/ctx/Dockerfile': DOCKERFILE });
    const r = await onTerminal(proj, ['run', 'app', '--progress', 'plain'], 'y');
    expect(r.output).toContain('In order to not see this message in the future pass "--allow=fs.read=../outside/ctx" to grant requested privileges.');
    expect(r.output.match(/Do you want to grant requested privileges and continue\? \[y\/N\]/g)).toHaveLength(1);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('building with');
  });

  it('anything else (here N): exit 2, nothing built', async () => {
    const { proj } = await layout('    context: ../outside/ctx\n', { 'outside/ctx/Dockerfile': DOCKERFILE });
    const r = await onTerminal(proj, ['run', 'app', '--progress', 'plain'], 'N');
    expect(r.output).toContain('[y/N]');
    expect(r.code, r.output).toBe(2);
    expect(r.output).toContain('additional privileges requested');
    expect(r.output).not.toContain('building with');
  });
});

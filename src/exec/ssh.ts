/**
 * `ssh` entries → the agent sockets a run forwards (`RUN --mount=type=ssh`), as `buildx --ssh` reads
 * them: `default` (no path) is `$SSH_AUTH_SOCK`; `id=/path/to/agent.sock` names an agent socket;
 * `id=/path/key[,/path/key2]` names private key files, which buildx loads into an in-process agent and
 * tsbake loads into a private `ssh-agent` of its own for the run (OpenSSH's, started on a socket in the
 * run's temp dir and stopped when the run ends). Problems are found before any build starts.
 *
 * Each target reaches only the agents it declares, under its own ids: two targets may give the same id
 * different agents, and a target without an `ssh` entry forwards nothing (buildx: one session per build).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import type { SshAgentProvider } from '../buildkit/sshforward.js';
import type { Diagnostic } from '../errors.js';
import type { ResolvedTarget } from '../plan/types.js';


export interface SshAgents {
  /** The agents `target` declares, by id; other targets' ids are not forwarded. */
  providerFor(target: string): SshAgentProvider;
  problems: Diagnostic[];
  /** Stops the agents started for key files. */
  close(): Promise<void>;
}

interface KeyEntry {
  target: string;
  id: string;
  keys: string[];
  /** Every (target, id) that names the same key files: one agent serves them all. */
  users: string[];
}

/** The sockets map's key for one target's id. */
const slot = (target: string, id: string): string => `${target}\0${id}`;

function diagnostic(target: string, message: string): Diagnostic {
  return { file: '', line: 0, column: 0, severity: 'error', key: `target.${target}.ssh`, message: `target "${target}": ${message}` };
}

function kindOf(p: string): 'socket' | 'file' | 'other' | 'missing' {
  try {
    const st = statSync(p);
    return st.isSocket() ? 'socket' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** Resolves every entry; key files get a private agent under `tmpDir`. */
export async function sshAgentsFor(
  targets: ResolvedTarget[],
  env: Record<string, string | undefined>,
  tmpDir: string,
  signal: AbortSignal,
): Promise<SshAgents> {
  const sockets = new Map<string, string>();
  const problems: Diagnostic[] = [];
  const keyEntries: KeyEntry[] = [];
  const keyEntryOf = new Map<string, KeyEntry>();
  for (const t of targets) {
    const seen = new Set<string>();
    for (const entry of t.ssh) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      const paths = entry.paths.filter((p) => p !== '');
      if (paths.length === 0) {
        const socket = env.SSH_AUTH_SOCK;
        if (!socket) {
          problems.push(diagnostic(t.name, `ssh "${entry.id}" forwards $SSH_AUTH_SOCK, which is not set: start an agent (eval "$(ssh-agent)"; ssh-add) or give its socket or key files (ssh: ["${entry.id}=/path/to/agent.sock"])`));
        } else if (kindOf(socket) !== 'socket') {
          problems.push(diagnostic(t.name, `ssh "${entry.id}": $SSH_AUTH_SOCK (${socket}) is not a unix socket`));
        } else sockets.set(slot(t.name, entry.id), socket);
        continue;
      }
      const kinds = paths.map(kindOf);
      const missing = paths.filter((_, i) => kinds[i] === 'missing');
      if (missing.length > 0) {
        problems.push(diagnostic(t.name, `ssh "${entry.id}": ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist`));
      } else if (kinds.every((k) => k === 'file')) {
        const key = JSON.stringify(paths);
        const known = keyEntryOf.get(key);
        if (known) known.users.push(slot(t.name, entry.id));
        else {
          const k: KeyEntry = { target: t.name, id: entry.id, keys: paths, users: [slot(t.name, entry.id)] };
          keyEntryOf.set(key, k);
          keyEntries.push(k);
        }
      } else if (paths.length === 1 && kinds[0] === 'socket') {
        sockets.set(slot(t.name, entry.id), paths[0]!);
      } else {
        problems.push(diagnostic(t.name, `ssh "${entry.id}": give one agent socket or one or more private key files, not ${paths.join(', ')}`));
      }
    }
  }

  const agents: ResultPromise[] = [];
  const close = async (): Promise<void> => {
    for (const a of agents) a.kill('SIGTERM');
    await Promise.allSettled(agents);
  };
  try {
    for (const k of keyEntries) {
      // execa is loaded only by runs with key files to load into an agent.
      const { execa } = await import('execa');
      const socket = path.join(tmpDir, `ssh-agent-${agents.length}.sock`);
      const agent = execa('ssh-agent', ['-D', '-a', socket], { reject: false, stdio: 'ignore', cancelSignal: signal });
      agents.push(agent);
      const failed = await waitForSocket(socket, agent);
      if (failed) {
        problems.push(diagnostic(k.target, `ssh "${k.id}": could not start ssh-agent for its key files (${failed}); tsbake uses OpenSSH's ssh-agent and ssh-add (Debian: openssh-client)`));
        continue;
      }
      const added = await execa('ssh-add', ['-q', ...k.keys], {
        reject: false,
        stdin: 'ignore',
        cancelSignal: signal,
        env: { ...env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: '', SSH_ASKPASS_REQUIRE: 'never', DISPLAY: '' },
        extendEnv: false,
      });
      if (added.exitCode !== 0) {
        // ssh-add frames some warnings in lines of '@'; the first other line says what went wrong.
        const lines = String(added.stderr || added.message).split('\n').map((l) => l.trim());
        const why = lines.find((l) => l !== '' && !l.startsWith('@')) ?? `ssh-add exited with ${added.exitCode}`;
        const hint = /passphrase/i.test(why)
          ? `the key has a passphrase: add it to your own agent (ssh-add) and forward that with ssh: ["${k.id}"]`
          : `is it an OpenSSH private key, readable by you only (chmod 600)?`;
        problems.push(diagnostic(k.target, `ssh "${k.id}": could not load ${k.keys.join(', ')}: ${why.replace(/[:.]$/, '')}; ${hint}`));
        continue;
      }
      for (const u of k.users) sockets.set(u, socket);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { providerFor: (target) => (id) => sockets.get(slot(target, id)), problems, close };
}

/** Resolves with undefined once `socket` exists, or with why not. */
async function waitForSocket(socket: string, agent: ResultPromise): Promise<string | undefined> {
  let exited: string | undefined;
  void agent.then((r) => (exited = r.failed ? String(r.shortMessage ?? r.message) : `exited with ${r.exitCode}`));
  const deadline = Date.now() + 5_000;
  while (!existsSync(socket)) {
    if (exited) return exited;
    if (Date.now() > deadline) return 'no socket within 5 s';
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/**
 * `ssh` entries → the agent sockets a run forwards (`RUN --mount=type=ssh`). `default` (no path) is
 * `$SSH_AUTH_SOCK`, as in buildx; `id=/path/to/agent.sock` names a socket. Key files (buildx loads them
 * into an in-process agent) are refused with a message saying how to load them into an agent instead.
 * Problems are found before any build starts.
 */
import { statSync } from 'node:fs';
import type { Diagnostic } from '../errors.js';
import type { ResolvedTarget } from '../plan/types.js';

export type SshAgentProvider = (id: string) => string | undefined;

export function sshAgentsFor(
  targets: ResolvedTarget[],
  env: Record<string, string | undefined>,
): { provider: SshAgentProvider; problems: Diagnostic[] } {
  const sockets = new Map<string, string>();
  const problems: Diagnostic[] = [];
  const problem = (t: ResolvedTarget, message: string): void => {
    problems.push({ file: '', line: 0, column: 0, severity: 'error', key: `target.${t.name}.ssh`, message: `target "${t.name}": ${message}` });
  };
  for (const t of targets) {
    for (const entry of t.ssh) {
      if (sockets.has(entry.id)) continue;
      const paths = entry.paths.filter((p) => p !== '');
      if (paths.length > 1) {
        problem(t, `ssh "${entry.id}" lists ${paths.length} paths: tsbake forwards one agent socket per id`);
        continue;
      }
      const socket = paths[0] ?? env.SSH_AUTH_SOCK;
      if (!socket) {
        problem(t, `ssh "${entry.id}" forwards $SSH_AUTH_SOCK, which is not set: start an agent (eval "$(ssh-agent)"; ssh-add) or give its socket (ssh: ["${entry.id}=/path/to/agent.sock"])`);
        continue;
      }
      let kind: string;
      try {
        const st = statSync(socket);
        kind = st.isSocket() ? 'socket' : st.isFile() ? 'file' : 'other';
      } catch {
        problem(t, `ssh "${entry.id}": ${socket} does not exist`);
        continue;
      }
      if (kind === 'file') {
        problem(t, `ssh "${entry.id}": ${socket} is a file, not an agent socket; tsbake forwards agents only: load the key with ssh-add and use ssh: ["${entry.id}"] (or ${entry.id}=<agent socket>)`);
        continue;
      }
      if (kind !== 'socket') {
        problem(t, `ssh "${entry.id}": ${socket} is not a unix socket`);
        continue;
      }
      sockets.set(entry.id, socket);
    }
  }
  return { provider: (id) => sockets.get(id), problems };
}

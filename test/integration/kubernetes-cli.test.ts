/**
 * The real CLI with a kubernetes builder, against the Kubernetes API-server STAND-IN (not a cluster; see
 * test/helpers/k8s-stand-in.ts) whose pod exec relays to the real BuildKit of Docker 26 through the /grpc
 * relay: a real build (file sync, solve, local export) travels through `buildctl dial-stdio` frames.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type K8sStandIn, startK8sStandIn } from '../helpers/k8s-stand-in.js';
import { engines, requireEngine } from '../helpers/env.js';
import { type GrpcRelay, startGrpcRelay } from '../helpers/relay.js';
import { project, runCli } from '../helpers/cli.js';
import { pickPod } from '../../src/drivers/kubernetes/balance.js';
import { deploymentName } from '../../src/drivers/kubernetes/manifests.js';

let relay: GrpcRelay;
let standIn: K8sStandIn;

beforeAll(async () => {
  await requireEngine(engines.docker26);
  relay = await startGrpcRelay({ engineSocket: engines.docker26.socketPath, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
  standIn = await startK8sStandIn({ readyAfterMs: 200, execTarget: () => relay.port });
});

afterAll(async () => {
  await standIn?.close();
  await relay?.close();
});

describe('tsbake with a kubernetes builder (API-server stand-in, real BuildKit)', () => {
  it('spreads the targets of one run over the replicas (sticky by context path): each context goes to the pod its path hashes to', async () => {
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india'];
    const files: Record<string, string> = {
      'tsbake.yaml': [
        'builder:',
        '  k8s:',
        '    driver: kubernetes',
        '    driver-opts:',
        '      namespace: spread',
        '      replicas: 3',
        '      timeout: 30s',
        'target:',
        ...names.flatMap((n) => [`  ${n}:`, `    context: ${n}`, '    builder: k8s', '    output: ["type=cacheonly"]']),
        'group:',
        '  default:',
        `    targets: [${names.join(', ')}]`,
        '',
      ].join('\n'),
    };
    for (const n of names) {
      files[`${n}/Dockerfile`] = 'FROM scratch\nCOPY in.txt /in.txt\n';
      files[`${n}/in.txt`] = n;
    }
    const dir = await project(files);
    const kubeconfig = standIn.writeKubeconfig(path.join(dir, 'kubeconfig'), [{ name: 'stand-in' }]);
    const env = { KUBECONFIG: kubeconfig, HOME: dir, DOCKER_HOST: engines.docker26.host };
    const before = standIn.execs.length;
    const r = await runCli(['run', '--progress', 'plain'], { cwd: dir, env, timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    const pods = new Set(standIn.execs.slice(before).filter((e) => e.accepted && e.namespace === 'spread').map((e) => e.pod));
    // The temp dir's name is random, so which pods the nine paths hash to is too: compare with what the
    // hash predicts rather than expecting all three (9 paths miss a pod with probability ~8%). Opening the
    // builder also makes one connection tied to no target, which goes to the first pod: that pod may be
    // exec'd without any context hashing to it.
    const podNames = standIn.podsOf('spread', deploymentName('k8s')).map((p) => String((p as { metadata: { name: string } }).metadata.name));
    expect(podNames).toHaveLength(3);
    const predicted = new Set(names.map((n) => pickPod(podNames, 'sticky', { contextPath: path.join(dir, n) })));
    const unhinted = pickPod(podNames, 'sticky', undefined);
    for (const pod of predicted) expect(pods).toContain(pod);
    expect([...pods].filter((pod) => !predicted.has(pod) && pod !== unhinted)).toEqual([]);
    expect(predicted.size).toBeGreaterThan(1);
    await runCli(['builder', 'rm', 'k8s'], { cwd: dir, env });
  });

  it('bootstraps the deployment, builds through pod exec, inspects and removes it', async () => {
    const id = Math.random().toString(36).slice(2, 8);
    const dir = await project({
      'tsbake.yaml': [
        'builder:',
        '  k8s:',
        '    driver: kubernetes',
        '    driver-opts:',
        '      namespace: builds',
        '      replicas: 2',
        '      timeout: 30s',
        '      requests:',
        '        cpu: 250m',
        'target:',
        '  a:',
        '    context: a',
        '    builder: k8s',
        '    output: ["type=local,dest=out/a"]',
        '  b:',
        '    context: b',
        '    builder: k8s',
        '    output: ["type=local,dest=out/b"]',
        'group:',
        '  default:',
        '    targets: [a, b]',
        '',
      ].join('\n'),
      'a/Dockerfile': `FROM local/busybox:1\nCOPY in.txt /in.txt\nRUN echo "a-${id}" > /out.txt\n`,
      'a/in.txt': 'context a\n',
      'b/Dockerfile': `FROM scratch\nCOPY in.txt /in.txt\n`,
      'b/in.txt': `context b ${id}\n`,
    });
    const kubeconfig = standIn.writeKubeconfig(path.join(dir, 'kubeconfig'), [{ name: 'stand-in' }]);
    const env = { KUBECONFIG: kubeconfig, HOME: dir, DOCKER_HOST: engines.docker26.host };

    const execsBefore = standIn.execs.length;
    const r = await runCli(['run', '--progress', 'plain'], { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(path.join(dir, 'out/a/out.txt'), 'utf8')).toBe(`a-${id}\n`);
    expect(await fs.readFile(path.join(dir, 'out/a/in.txt'), 'utf8')).toBe('context a\n');
    expect(await fs.readFile(path.join(dir, 'out/b/in.txt'), 'utf8')).toBe(`context b ${id}\n`);

    const d = standIn.deployments.get('builds/tsbake-k8s');
    expect(d?.spec.replicas).toBe(2);
    expect(d?.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '250m' } });
    const accepted = standIn.execs.slice(execsBefore).filter((e) => e.accepted);
    expect(accepted.length).toBeGreaterThan(0);
    for (const e of accepted) expect(e).toMatchObject({ namespace: 'builds', container: 'buildkitd', command: ['buildctl', 'dial-stdio'] });
    expect(relay.acceptedConnections()).toBeGreaterThan(0);

    const inspect = await runCli(['builder', 'inspect', 'k8s'], { cwd: dir, env });
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain('Status:    running');
    for (const p of standIn.podsOf('builds', 'tsbake-k8s')) expect(inspect.stdout).toContain(p.metadata.name);

    const rm = await runCli(['builder', 'rm', 'k8s'], { cwd: dir, env });
    expect(rm.code, rm.stderr).toBe(0);
    expect(standIn.deployments.has('builds/tsbake-k8s')).toBe(false);
    expect(standIn.podsOf('builds', 'tsbake-k8s')).toHaveLength(0);
  }, 180_000);

  it('an unknown kubeconfig context fails with exit 1 and one line naming kubeconfig, context and namespace', async () => {
    const dir = await project({
      'tsbake.yaml': 'builder:\n  k8s:\n    driver: kubernetes\n    driver-opts:\n      context: nope\ntarget:\n  a:\n    builder: k8s\n    output: ["type=local,dest=out"]\n',
      Dockerfile: 'FROM scratch\n',
    });
    const kubeconfig = standIn.writeKubeconfig(path.join(dir, 'kubeconfig'), [{ name: 'stand-in' }]);
    const r = await runCli(['run', 'a', '--progress', 'plain'], { cwd: dir, env: { KUBECONFIG: kubeconfig, HOME: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`context "nope" is not in the kubeconfig (contexts: stand-in) (kubeconfig ${kubeconfig}, context nope, namespace (from context))`);
  });
});

import { describe, expect, it } from 'vitest';
import { TsbakeError } from '../../src/errors.js';
import { fnv1a, pickPod } from '../../src/drivers/kubernetes/balance.js';
import { buildConfigMap, buildDeployment, splitFlags } from '../../src/drivers/kubernetes/manifests.js';
import { parseDurationMs, parseKubernetesOptions, parseTolerations } from '../../src/drivers/kubernetes/options.js';

describe('kubernetes options', () => {
  it.each([
    ['120s', 120_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['45', 45_000],
    ['1h', 3_600_000],
  ])('duration %s → %d ms', (text, ms) => {
    expect(parseDurationMs('b', 'timeout', text)).toBe(ms);
  });

  it.each(['', 'soon', '10x', '5s later'])('rejects duration %j', (text) => {
    expect(() => parseDurationMs('b', 'timeout', text)).toThrow(/timeout/);
  });

  it('parses tolerations separated by ;', () => {
    expect(
      parseTolerations('b', 'key=dedicated,operator=Equal,value=builds,effect=NoSchedule;key=spot,operator=Exists,effect=NoExecute,tolerationSeconds=30'),
    ).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'builds', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
    expect(() => parseTolerations('b', 'key=a,colour=red')).toThrow(/unknown field "colour"/);
  });

  it('defaults', () => {
    const o = parseKubernetesOptions('b', {});
    expect(o).toMatchObject({ image: 'moby/buildkit:buildx-stable-1', replicas: 1, loadBalance: 'sticky', timeoutMs: 120_000, rootless: false, qemuInstall: false });
    expect(o.namespace).toBeUndefined();
    expect(parseKubernetesOptions('b', { rootless: 'true' }).image).toBe('moby/buildkit:buildx-stable-1-rootless');
    expect(parseKubernetesOptions('b', { rootless: 'true', image: 'my/bk:1' }).image).toBe('my/bk:1');
  });

  it.each([
    [{ replicas: '0' }, /replicas=0/],
    [{ replicas: 'two' }, /replicas=two/],
    [{ loadbalance: 'round-robin' }, /sticky or random/],
    [{ 'requests.gpu': '1' }, /requests.gpu/],
    [{ colour: 'red' }, /unknown option "colour"/],
    [{ rootless: 'maybe' }, /rootless=maybe/],
    [{ nodeselector: 'disk' }, /nodeselector: "disk" is not key=value/],
  ])('refuses %j', (opts, re) => {
    let err: unknown;
    try {
      parseKubernetesOptions('kb', opts as Record<string, string>);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TsbakeError);
    expect((err as TsbakeError).reason).toBe('invalid-config');
    expect((err as TsbakeError).message).toMatch(/builder "kb"/);
    expect((err as TsbakeError).message).toMatch(re);
  });
});

describe('kubernetes manifests', () => {
  const full = parseKubernetesOptions('ci', {
    replicas: '3',
    'requests.cpu': '500m',
    'requests.memory': '1Gi',
    'limits.memory': '4Gi',
    nodeselector: 'kubernetes.io/arch=amd64,disk=ssd',
    tolerations: 'key=dedicated,operator=Equal,value=builds,effect=NoSchedule',
    annotations: 'team=infra',
    labels: 'env=ci',
    serviceaccount: 'builder',
    'qemu.install': 'true',
    'qemu.image': 'tonistiigi/binfmt:qemu-v8',
    'env.BUILDKIT_STEP_LOG_MAX_SIZE': '1048576',
  });

  it('builds the deployment from the options', () => {
    const d = buildDeployment({ builder: 'ci', namespace: 'builds', options: full, buildkitdConfig: 'debug = true\n', buildkitdFlags: '--debug --allow-insecure-entitlement "network.host"' });
    expect(d.metadata?.name).toBe('tsbake-ci');
    expect(d.metadata?.namespace).toBe('builds');
    expect(d.metadata?.labels).toEqual({ env: 'ci', 'app.kubernetes.io/managed-by': 'tsbake', 'tsbake.builder': 'ci' });
    expect(d.spec?.replicas).toBe(3);
    expect(d.spec?.selector.matchLabels).toEqual({ 'app.kubernetes.io/managed-by': 'tsbake', 'tsbake.builder': 'ci' });
    const pod = d.spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(c.image).toBe('moby/buildkit:buildx-stable-1');
    expect(c.args).toEqual(['--config', '/etc/buildkit/buildkitd.toml', '--debug', '--allow-insecure-entitlement', 'network.host']);
    expect(c.securityContext).toEqual({ privileged: true });
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } });
    expect(c.readinessProbe?.exec?.command).toEqual(['buildctl', 'debug', 'workers']);
    expect(c.env).toEqual([{ name: 'BUILDKIT_STEP_LOG_MAX_SIZE', value: '1048576' }]);
    expect(c.volumeMounts).toEqual([{ name: 'config', mountPath: '/etc/buildkit' }]);
    expect(pod.volumes).toEqual([{ name: 'config', configMap: { name: 'tsbake-ci-config' } }]);
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64', disk: 'ssd' });
    expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'builds', effect: 'NoSchedule' }]);
    expect(pod.serviceAccountName).toBe('builder');
    expect(pod.initContainers).toEqual([{ name: 'qemu', image: 'tonistiigi/binfmt:qemu-v8', args: ['--install', 'all'], securityContext: { privileged: true } }]);
    expect(d.spec!.template.metadata?.annotations?.team).toBe('infra');
  });

  it('rootless drops privileged mode and adds what rootless BuildKit needs', () => {
    const o = parseKubernetesOptions('r', { rootless: 'true' });
    const d = buildDeployment({ builder: 'r', namespace: 'default', options: o });
    const c = d.spec!.template.spec!.containers[0]!;
    expect(c.image).toBe('moby/buildkit:buildx-stable-1-rootless');
    expect(c.args).toEqual(['--oci-worker-no-process-sandbox']);
    expect(c.securityContext).toEqual({ seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' }, runAsUser: 1000, runAsGroup: 1000 });
    expect(c.securityContext?.privileged).toBeUndefined();
    expect(d.spec!.template.metadata?.annotations?.['container.apparmor.security.beta.kubernetes.io/buildkitd']).toBe('unconfined');
  });

  it('configmap only with a config; the spec hash follows options and config', () => {
    const o = parseKubernetesOptions('b', {});
    expect(buildConfigMap({ builder: 'b', namespace: 'n', options: o })).toBeUndefined();
    expect(buildConfigMap({ builder: 'b', namespace: 'n', options: o, buildkitdConfig: 'x = 1\n' })?.data).toEqual({ 'buildkitd.toml': 'x = 1\n' });
    const h = (cfg?: string, opts: Record<string, string> = {}) =>
      buildDeployment({ builder: 'b', namespace: 'n', options: parseKubernetesOptions('b', opts), buildkitdConfig: cfg }).metadata?.annotations?.['tsbake.spec-hash'];
    expect(h()).toBe(h());
    expect(h('a')).not.toBe(h('b'));
    expect(h(undefined, { image: 'x:1' })).not.toBe(h());
  });

  it.each([
    ['', []],
    ['--debug', ['--debug']],
    ['--a "b c" \'d e\'', ['--a', 'b c', 'd e']],
  ])('splitFlags(%j)', (flags, out) => {
    expect(splitFlags(flags)).toEqual(out);
  });
});

describe('pod balancing', () => {
  const pods = ['p-2', 'p-0', 'p-1'];
  it('sticky: one context, one pod, whatever the list order', () => {
    const a = pickPod(pods, 'sticky', { contextPath: '/src/app' });
    expect(pickPod([...pods].reverse(), 'sticky', { contextPath: '/src/app' })).toBe(a);
    expect(a).toBe(['p-0', 'p-1', 'p-2'][fnv1a('/src/app') % 3]);
  });
  it('sticky: many contexts use every pod', () => {
    const used = new Set(Array.from({ length: 30 }, (_, i) => pickPod(pods, 'sticky', { contextPath: `/work/svc-${i}` })));
    expect([...used].sort()).toEqual(['p-0', 'p-1', 'p-2']);
  });
  it('sticky without a context spreads by sequence', () => {
    expect([0, 1, 2, 3].map((sequence) => pickPod(pods, 'sticky', { sequence }))).toEqual(['p-0', 'p-1', 'p-2', 'p-0']);
  });
  it('random uses the random source', () => {
    expect(pickPod(pods, 'random', { contextPath: '/x' }, () => 0.99)).toBe('p-2');
    expect(pickPod(pods, 'random', { contextPath: '/x' }, () => 0)).toBe('p-0');
    expect(pickPod([], 'random', undefined)).toBeUndefined();
  });
  it('fnv1a is the standard 32-bit hash', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
  });
});

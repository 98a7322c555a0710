/**
 * All-or-nothing push. `docker buildx bake --push` pushes each image as soon as it is built, so a run
 * whose tenth target fails has already published nine (docker/buildx#1089, #1197). tsbake holds the
 * pushes back instead: every target is built with its image exporters' `push=false` (the image is still
 * exported, so its blobs are compressed and recorded by the daemon, and on the docker driver stored in
 * the engine as before), and only when every target of the run has succeeded is each pushing target
 * solved again with just its pushing exporters and `push=true`. That second solve is all cache hits (the
 * same definition, context and attributes) and exports the same image, so it pushes the digest the
 * build made; the push phase compares the two and warns if they differ (an attestation with
 * timestamps would). The push solves run concurrently.
 *
 * Why a second solve: BuildKit has no "push this image" call; a push is an exporter attribute of a
 * solve, on every driver (the docker driver's `moby` exporter pushes through the engine). Re-solving
 * works the same on all four drivers and BuildKit v0.8 to v0.13, needs no registry client in tsbake,
 * and keeps the registry credentials flow (the session's auth service) exactly as it is for a push.
 *
 * Within one push BuildKit uploads the layers and config before the manifest (util/push/push.go pushes
 * the manifests from a stack after `images.Dispatch` has pushed every blob), and a registry refuses a
 * manifest whose blobs it lacks (MANIFEST_BLOB_UNKNOWN), so no tag ever points at a partial image.
 *
 * `--push-each`, or `push: each` on a builder, keeps bake's push-as-built behaviour for those targets.
 */
import { existsSync } from 'node:fs';
import type { Plan, ResolvedTarget } from '../plan/types.js';
import type { ExportSpec } from './solve-request.js';
import type { EventSink, PushSummary, TargetResult } from '../events.js';

export type PushMode = 'all' | 'each';

export type { PushSummary };

export function isPushExporter(e: { type: string; attrs: Record<string, string> }): boolean {
  return (e.type === 'image' || e.type === 'moby') && e.attrs['push'] === 'true';
}

/** Whether the target's resolved outputs push to a registry. */
export function targetPushes(t: ResolvedTarget): boolean {
  return t.outputs.some((o) => o.type === 'image' && o.attrs['push'] === 'true');
}

/** The mode for one target: the run's flag wins over the builder's `push:` setting. */
export function pushModeOf(t: ResolvedTarget, plan: Plan, runMode: PushMode | undefined): PushMode {
  return runMode ?? plan.builders[t.builder]?.push ?? 'all';
}

/** The targets of a run whose pushes wait for the whole run. */
export function deferredPushTargets(targets: ResolvedTarget[], plan: Plan, runMode: PushMode | undefined): Set<string> {
  return new Set(targets.filter((t) => targetPushes(t) && pushModeOf(t, plan, runMode) === 'all').map((t) => t.name));
}

/** The build phase's exporters: every push held back (`push=false`), everything else as it is. */
export function holdBackPushes(exporters: ExportSpec[]): ExportSpec[] {
  return exporters.map((e) => (isPushExporter(e) ? { ...e, attrs: { ...e.attrs, push: 'false' } } : e));
}

/** The push phase's exporters: only the pushing ones (files, loads and caches were written by the build). */
export function pushingOnly(exporters: ExportSpec[]): ExportSpec[] {
  return exporters.filter(isPushExporter);
}

/**
 * A test hook: with `TSBAKE_HOLD_PUSH=FILE` the run stops after "all built, about to push" until FILE
 * exists or the run is cancelled, so a test can interrupt it exactly between the build and the push.
 */
export async function holdBeforePush(env: Record<string, string | undefined>, signal: AbortSignal): Promise<void> {
  const file = env.TSBAKE_HOLD_PUSH;
  if (!file) return;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (existsSync(file)) done();
    }, 50);
    const done = (): void => {
      clearInterval(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    if (signal.aborted) return done();
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface PushPhaseInput {
  /** The deferred targets, all built. */
  targets: ResolvedTarget[];
  /** Solves one target's push (solve-target with `phase: 'push'`), events already routed. */
  push: (t: ResolvedTarget) => Promise<TargetResult>;
  /** The build's results: updated with each push's exporter response. */
  results: Map<string, TargetResult>;
  emit: EventSink;
  signal: AbortSignal;
}

/** Pushes every deferred target at once; the summary says which went up. */
export async function runPushPhase(input: PushPhaseInput): Promise<PushSummary> {
  const deferred = input.targets.map((t) => t.name);
  const pushed: string[] = [];
  const failures: string[] = [];
  await Promise.all(
    input.targets.map(async (t) => {
      const built = input.results.get(t.name);
      const r = await input.push(t);
      if (r.state === 'built' || r.state === 'cached') {
        pushed.push(t.name);
        const before = built?.exporterResponse['containerimage.digest'];
        const after = r.exporterResponse['containerimage.digest'];
        // (Pushed by the engine, the build's digest is the image ID, which is the config's.)
        if (before && after && before !== after && before !== r.exporterResponse['containerimage.config.digest']) {
          input.emit({
            type: 'warning',
            target: t.name,
            message: `the pushed image ${after} is not the one the build made (${before}): something in the image (an attestation's timestamps?) differs between two solves`,
            time: Date.now(),
          });
        }
        input.emit({ type: 'info', target: t.name, message: `pushed ${r.exporterResponse['image.name'] ?? ''} ${after ?? ''}`.trim(), time: Date.now() });
        if (built) input.results.set(t.name, { ...built, exporterResponse: { ...built.exporterResponse, ...r.exporterResponse } });
        return;
      }
      const cancelled = r.state === 'cancelled' || input.signal.aborted;
      const message = cancelled ? 'push cancelled' : `push failed: ${r.failure?.message ?? 'unknown error'}`;
      failures.push(`${t.name} (${message})`);
      const failure = { reason: cancelled ? ('cancelled' as const) : (r.failure?.reason ?? 'build-failed'), message };
      if (built) input.results.set(t.name, { ...built, state: r.state === 'cancelled' ? 'cancelled' : 'failed', failure });
    }),
  );
  pushed.sort();
  failures.sort();
  if (failures.length === 0) return { state: 'pushed', deferred, pushed };
  return { state: 'failed', deferred, pushed, reason: failures.join(', ') };
}

/** The summary line the CLI prints after the run (non-json modes). */
export function formatPushSummary(p: PushSummary): string | undefined {
  const n = (k: number): string => `${k} image${k === 1 ? '' : 's'}`;
  switch (p.state) {
    case 'none':
      return undefined;
    case 'withheld':
      return `Push: nothing pushed (${n(p.deferred.length)} held back): ${p.reason ?? 'the run did not complete'}`;
    case 'pushed':
      return `Push: ${n(p.pushed.length)} pushed after every target built`;
    case 'failed':
      return `Push: ${p.pushed.length} of ${n(p.deferred.length)} pushed; not pushed: ${p.reason ?? ''}` + (p.pushed.length > 0 ? ` (pushed: ${p.pushed.join(', ')})` : '');
  }
}

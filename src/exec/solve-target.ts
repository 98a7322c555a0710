/**
 * One target's solve: solve parameters from the resolved target, status updates as events, outputs
 * routed to files, directories, stdout or the Docker engine, and a TargetResult that never throws for a
 * build failure.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Plan, ResolvedTarget } from '../plan/types.js';
import type { EventSink, TargetResult } from '../events.js';
import type { BuilderHandle } from './builders.js';
import { solveSpecFor, type ExportSpec } from './solve-request.js';
import { BuildkitConnectionLostError, BuildkitSolveError } from '../buildkit/errors.js';
import { TsbakeError } from '../errors.js';
import { BuildkitClient, type ExporterSpec, type StatusUpdate } from '../buildkit/index.js';
import { loadImageTarball, localEngineStore } from './load.js';
import { secretProviderFor } from './secrets.js';
import type { SshAgentProvider } from '../buildkit/sshforward.js';
import { OCI_LAYOUT_KEY, planContentStores, requireOciHandoff, type ContentStorePlan } from './oci-context.js';
import { isPushExporter } from './push.js';
import { pushThroughEngine, pushesThroughEngine } from './engine-push.js';
import { dockerConfigAuth } from '../buildkit/auth.js';
import { trace } from '../trace.js';

export interface SolveTargetInput {
  target: ResolvedTarget;
  /** The target's index in the run, for drivers that spread targets over several daemons. */
  sequence?: number;
  plan: Plan;
  handle: BuilderHandle;
  /** Results so far (dependencies' internal refs). */
  results: Map<string, TargetResult>;
  tmpDir: string;
  env: Record<string, string | undefined>;
  /** The SSH agents this target declares (ssh.ts); its secrets come from its own entries. */
  ssh: SshAgentProvider;
  signal: AbortSignal;
  emit: EventSink;
  /** `push`: the solve that makes the pushes the plan held (only those exporters; src/exec/push.ts). */
  phase?: 'build' | 'push';
  /** The plan holds this target's pushes until the run's end (holdsPushes): no image name reaches dependents. */
  holdPush?: boolean;
}

export async function solveTarget(input: SolveTargetInput): Promise<TargetResult> {
  const { target: t, handle, emit, signal } = input;
  const started = Date.now();
  const ref = randomBytes(13).toString('hex').slice(0, 25);
  emit({ type: 'target-started', target: t.name, builder: t.builder, time: started });

  const vertexes = new Map<string, { name: string; cached: boolean; completed?: number; error?: string }>();
  const logTail = new Map<string, string[]>();
  let contentPlan: ContentStorePlan | undefined;
  const transfer = { bytesSent: 0, label: t.name };

  try {
    let inlineDockerfileDir: string | undefined;
    if (t.dockerfileInline !== undefined) {
      inlineDockerfileDir = path.join(input.tmpDir, `inline-${t.name}`);
      await fs.mkdir(inlineDockerfileDir, { recursive: true });
      await fs.writeFile(path.join(inlineDockerfileDir, 'Dockerfile'), t.dockerfileInline);
    }
    const dependencyRefs: Record<string, string> = {};
    for (const [name, ctx] of Object.entries(t.contexts)) {
      if (ctx.kind !== 'target') continue;
      const dep = input.results.get(ctx.target);
      const depRef = dep?.exporterResponse['tsbake.internal-ref'];
      // A multi-node builder's dependency in an engine store is handed over as a layout too (plan/exports.ts
      // crossNode): the layout reaches any node, the name only that engine.
      if (!depRef || dep?.exporterResponse[OCI_LAYOUT_KEY]) {
        // Handed over as an OCI layout through the session content store instead (oci-context.ts).
        await requireOciHandoff(t, name, ctx.target, dep, handle.builder.driver);
        continue;
      }
      dependencyRefs[ctx.target] = depRef;
    }
    // The plan says which pushes wait (src/plan/exports.ts): held ones run with push=false here and
    // are the only exporters of the push solve.
    const spec = solveSpecFor({
      target: t,
      dependencyRefs,
      ...(inlineDockerfileDir ? { inlineDockerfileDir } : {}),
      ...(input.phase ? { phase: input.phase } : {}),
    });
    if (input.phase === 'push') spec.cacheExports = [];
    // The docker driver: on a classic-store engine the engine pushes, after the solve; in the deferred
    // push phase it pushes on every store, as the image is in the engine already (engine-push.ts).
    const engineNames = pushesThroughEngine(handle.caps, input.phase === 'push')
      ? [...new Set(spec.exporters.filter(isPushExporter).flatMap((e) => (e.attrs['name'] ?? '').split(',').filter(Boolean)))]
      : [];
    const enginePush = async (): Promise<Record<string, string>> => {
      const { digest } = await pushThroughEngine({
        host: handle.driver.endpoint(),
        names: engineNames,
        env: input.env,
        auth: dockerConfigAuth(input.env),
        signal,
        onProgress: (message) => emit({ type: 'info', target: t.name, message, time: Date.now() }),
      });
      return digest ? { 'containerimage.digest': digest, 'image.name': engineNames.join(',') } : {};
    };
    if (input.phase === 'push' && engineNames.length > 0) {
      // The image is in the engine already: no second solve.
      const built = input.results.get(t.name)?.exporterResponse;
      const configDigest = built?.['containerimage.config.digest'] ?? built?.['containerimage.digest'];
      const exporterResponse = { ...(await enginePush()), ...(configDigest ? { 'containerimage.config.digest': configDigest } : {}) };
      const res: TargetResult = { target: t.name, state: 'built', exporterResponse, buildRef: ref, durationMs: Date.now() - started, steps: { total: 0, cached: 0 } };
      emit({ type: 'target-finished', target: t.name, state: 'built', durationMs: res.durationMs, result: res, time: Date.now() });
      return res;
    }

    // Pushed-image refs can feed dependents on any driver (not when the push waits for the run's end).
    let internalRef = spec.internalRef;
    if (!internalRef && !input.holdPush) {
      const pushed = spec.exporters.find((e) => e.attrs['push'] === 'true' && e.attrs['name']);
      internalRef = pushed?.attrs['name']?.split(',')[0];
    }

    // The store the image lands in (what an image ID is there). A load's format was decided for the
    // local engine's store before the run (the runner re-plans the exports once it has asked).
    const imageStore = spec.exporters.some((e) => e.output?.kind === 'load') ? await localEngineStore(input.env) : handle.caps.imageStore;
    // Loads into the engine complete only once the solve has succeeded (see exec/load.ts).
    const loads: Promise<void>[] = [];
    let solveOutcome!: { resolve: () => void; reject: (err: unknown) => void };
    const solved = new Promise<void>((resolve, reject) => (solveOutcome = { resolve, reject }));
    solved.catch(() => undefined);
    const exporters: ExporterSpec[] = spec.exporters.map((e) => toExporter(e, t, input, loads, solved));
    const layoutDirs = spec.exporters.flatMap((e) => (e.output?.kind === 'layout' ? [e.output.dir] : []));
    const layoutHandoff = spec.exporters.some((e) => e.output?.kind === 'layout' && e.output.handoff === true);
    const handoff = layoutHandoff ? ('layout' as const) : spec.exporters.some((e) => e.output?.kind === 'handoff') ? ('temp-dir' as const) : undefined;
    contentPlan = await planContentStores({ ...input, caps: handle.caps, ...spec, exporters, layoutDirs, ...(handoff ? { handoff } : {}) });

    trace('solve-sent', t.name);
    const node = await clientFor(input);
    const result = await node.client
      .solve(
      {
        ref,
        frontend: 'dockerfile.v0',
        frontendAttrs: spec.frontendAttrs,
        exporters,
        cacheImports: spec.cacheImports,
        cacheExports: spec.cacheExports,
        entitlements: spec.entitlements,
        session: handle.session,
        // Only what this target declares: the solve's session serves nothing of the run's other targets.
        secrets: secretProviderFor(t, input.env),
        ssh: input.ssh,
        localDirs: spec.localDirs,
        contentStores: contentPlan.stores,
        transfer,
      },
      signal,
      (update) => onStatus(update),
    )
      .then(
        (r) => {
          solveOutcome.resolve();
          return r;
        },
        async (err: unknown) => {
          // A load still under way is aborted, and over, before the target is reported.
          solveOutcome.reject(err);
          await Promise.allSettled(loads);
          throw err;
        },
      )
      .finally(() => node.release());
    await Promise.all(loads);
    const all = [...vertexes.values()];
    const cached = all.filter((v) => v.cached).length;
    const state = all.length > 0 && cached === all.length ? 'cached' : 'built';
    const exporterResponse = { ...result.exporterResponse, ...(await contentPlan.finish(result.exporterResponse)) };
    if (engineNames.length > 0 && !input.holdPush) {
      // The moby exporter's digest is the image ID (the config's); the registry's is the manifest's.
      const configDigest = exporterResponse['containerimage.config.digest'] ?? exporterResponse['containerimage.digest'];
      Object.assign(exporterResponse, await enginePush());
      if (configDigest) exporterResponse['containerimage.config.digest'] = configDigest;
    }
    if (internalRef) exporterResponse['tsbake.internal-ref'] = internalRef;
    const res: TargetResult = {
      target: t.name,
      state,
      exporterResponse,
      buildRef: ref,
      durationMs: Date.now() - started,
      steps: { total: all.length, cached },
      contextBytes: transfer.bytesSent,
      ...(imageStore ? { imageStore } : {}),
    };
    emit({ type: 'target-finished', target: t.name, state, durationMs: res.durationMs, result: res, time: Date.now() });
    return res;
  } catch (err) {
    await contentPlan?.discard();
    const durationMs = Date.now() - started;
    if (signal.aborted || (err instanceof Error && err.name === 'AbortError')) {
      emit({ type: 'target-cancelled', target: t.name, time: Date.now() });
      return { target: t.name, state: 'cancelled', exporterResponse: {}, buildRef: ref, durationMs, steps: stepsOf() };
    }
    const message =
      err instanceof BuildkitConnectionLostError
        ? `${handle.builder.node !== undefined ? `node "${handle.builder.node}" of builder "${handle.builder.name.slice(0, -(handle.builder.node.length + 1))}"` : `builder "${handle.builder.name}"`} (${handle.driver.endpoint()}): connection dropped during the build` +
          `${/^connection dropped$/i.test(err.detail) ? '' : ` (${err.detail})`}; is the daemon still running? Run again once it is reachable`
        : err instanceof Error
          ? err.message
          : String(err);
    const failedVertex = [...vertexes.entries()].find(([, v]) => v.error);
    const location =
      (err instanceof BuildkitSolveError ? err.locationText() : undefined) ??
      (failedVertex ? await locateStep(t, failedVertex[1].name) : undefined);
    const tail = failedVertex ? (logTail.get(failedVertex[0]) ?? []) : [];
    // A refusal raised inside the solve (a TsbakeError) keeps its reason, and so its exit code.
    const reason = err instanceof TsbakeError ? err.reason : err instanceof BuildkitConnectionLostError ? 'daemon-error' : 'build-failed';
    const failure = { reason, message, ...(location ? { location } : {}) };
    emit({
      type: 'target-failed',
      target: t.name,
      failure,
      logTail: tail,
      durationMs,
      contextBytes: transfer.bytesSent,
      time: Date.now(),
    });
    return {
      target: t.name,
      state: 'failed',
      exporterResponse: {},
      buildRef: ref,
      durationMs,
      failure,
      steps: stepsOf(),
      contextBytes: transfer.bytesSent,
    };
  }

  function stepsOf(): { total: number; cached: number } {
    const all = [...vertexes.values()];
    return { total: all.length, cached: all.filter((v) => v.cached).length };
  }

  function onStatus(update: StatusUpdate): void {
    const now = Date.now();
    for (const v of update.vertexes) {
      vertexes.set(v.digest, {
        name: v.name,
        cached: v.cached,
        ...(v.completed !== undefined ? { completed: v.completed } : {}),
        ...(v.error ? { error: v.error } : {}),
      });
      emit({
        type: 'step',
        target: t.name,
        step: {
          id: v.digest,
          name: v.name,
          cached: v.cached,
          ...(v.started !== undefined ? { started: v.started } : {}),
          ...(v.completed !== undefined ? { completed: v.completed } : {}),
          ...(v.error ? { error: v.error } : {}),
        },
        time: now,
      });
    }
    for (const s of update.statuses) {
      const v = vertexes.get(s.vertex);
      emit({
        type: 'step',
        target: t.name,
        step: {
          id: s.vertex,
          name: v?.name ?? s.name,
          cached: v?.cached ?? false,
          current: s.current,
          total: s.total,
          ...(s.started !== undefined ? { started: s.started } : {}),
        },
        time: now,
      });
    }
    for (const l of update.logs) {
      const text = Buffer.from(l.data).toString('utf8');
      const lines = logTail.get(l.vertex) ?? [];
      lines.push(...text.split('\n').filter((x) => x.length > 0));
      logTail.set(l.vertex, lines.slice(-20));
      const stepName = vertexes.get(l.vertex)?.name;
      emit({
        type: 'log',
        target: t.name,
        stepId: l.vertex,
        ...(stepName ? { stepName } : {}),
        stream: l.stream === 2 ? 'stderr' : 'stdout',
        data: text,
        time: now,
      });
    }
    for (const w of update.warnings) {
      const loc = w.sourceInfo?.ranges[0] ? `${w.sourceInfo.filename}:${w.sourceInfo.ranges[0].start.line}` : undefined;
      emit({
        type: 'warning',
        target: t.name,
        message: w.short,
        ...(w.detail.length > 0 ? { detail: w.detail.join('\n') } : {}),
        ...(w.url ? { url: w.url } : {}),
        ...(loc ? { location: loc } : {}),
        time: now,
      });
    }
  }
}

/**
 * Drivers with several daemons (kubernetes replicas) get one connection per target, dialled with the
 * target's context path and index so the driver balances them (sticky by context, or random); the
 * builder's shared connection serves everything else.
 */
async function clientFor(input: SolveTargetInput): Promise<{ client: BuildkitClient; release: () => Promise<void> }> {
  const { handle, target: t } = input;
  if ((handle.driver.nodes?.() ?? 1) <= 1) return { client: handle.client, release: async () => undefined };
  const hint = { ...(t.contextIsLocal ? { contextPath: t.context } : {}), ...(input.sequence !== undefined ? { sequence: input.sequence } : {}) };
  const client = await BuildkitClient.connect((s) => handle.driver.dial(s, hint), {
    signal: input.signal,
    endpointName: handle.driver.endpoint(),
    ...(handle.driver.dialSession ? { dialSession: handle.driver.dialSession.bind(handle.driver) } : {}),
  });
  return { client, release: () => client.close().catch(() => undefined) };
}

/**
 * Older daemons (BuildKit v0.8) attach no source location to errors: find the Dockerfile line from the
 * failing step's name (`[3/3] RUN make`), as a reader would.
 */
async function locateStep(t: ResolvedTarget, stepName: string): Promise<string | undefined> {
  const m = /^\[(?:[^\]]+ )?\d+\/\d+\] (.+)$/.exec(stepName);
  if (!m) return undefined;
  const wanted = m[1]!.replace(/\s+/g, ' ').trim();
  let text: string;
  let name = 'Dockerfile';
  try {
    if (t.dockerfileInline !== undefined) text = t.dockerfileInline;
    else {
      const file = path.isAbsolute(t.dockerfile) ? t.dockerfile : path.join(t.context, t.dockerfile);
      name = path.basename(file);
      text = await fs.readFile(file, 'utf8');
    }
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // Join continuation lines the way the parser does before comparing.
    let line = lines[i]!;
    let j = i;
    while (/\\\s*$/.test(line) && j + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + lines[++j];
    if (line.replace(/\s+/g, ' ').trim() === wanted || line.replace(/\s+/g, ' ').trim().startsWith(wanted)) return `${name}:${i + 1}`;
  }
  return undefined;
}

function toExporter(e: ExportSpec, t: ResolvedTarget, input: SolveTargetInput, loads: Promise<void>[], solved: Promise<void>): ExporterSpec {
  const out = e.output;
  if (!out) return { type: e.type, attrs: e.attrs };
  switch (out.kind) {
    case 'dir':
      return { type: e.type, attrs: e.attrs, output: { kind: 'dir', path: out.dest } };
    case 'file':
      return { type: e.type, attrs: e.attrs, output: { kind: 'file', path: out.dest } };
    case 'stdout':
      return { type: e.type, attrs: e.attrs, output: { kind: 'stdout' } };
    case 'layout':
    case 'handoff':
      // Written through the session's content store (store `export`, oci-context.ts), not streamed.
      return { type: e.type, attrs: e.attrs };
    case 'load':
      return {
        type: e.type,
        attrs: e.attrs,
        output: {
          kind: 'stream',
          onTarStream: (stream: Readable) => {
            const p = loadImageTarball(stream, {
              env: input.env,
              signal: input.signal,
              built: solved,
              onProgress: (message) => input.emit({ type: 'info', target: t.name, message, time: Date.now() }),
            });
            loads.push(p);
            return p;
          },
        },
      };
  }
}

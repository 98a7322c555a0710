/**
 * The loading rules: what a target exports once the driver's default, the file's outputs, --load and
 * --push are combined.
 *
 * - a driver whose results land in the engine's own store (docker): no output → `type=docker` (every
 *   tag). The engine's `image` exporter also stores the image, so there an `image` output counts as loaded and
 *   --push turns the store output into `type=image,push=true` (one exporter, as BuildKit < v0.13 needs).
 * - other drivers: no output → nothing exported (with a warning) unless the builder has default-load.
 * - explicit outputs replace the default; `type=cacheonly` opts out of it.
 * - --load adds `type=docker` unless the result is already loaded; unlike bake it is added next to
 *   local/tar outputs too, since the user asked for the image in the store.
 * - --push sets push=true on image outputs or adds `type=image,push=true`; `type=registry` is the same.
 * - `type=local` needs a `dest` directory (no default, as buildctl and buildx).
 * https://docs.docker.com/build/builders/drivers/#loading-to-local-image-store
 */
import path from 'node:path';
import type { CsvOrObject } from '../config/types.js';
import { parseOutput } from './csv.js';
import type { Problems } from './problems.js';
import type { ResolvedBuilder, TypedEntry } from './types.js';

export interface OutputInput {
  target: string;
  origin: string;
  written: CsvOrObject[] | undefined;
  tags: readonly string[];
  builder: ResolvedBuilder;
  loadsByDefault: boolean;
  /** Where the builder's driver puts a loaded image: `engine` exports into the engine's store itself. */
  resultStore: 'engine' | 'tarball';
  load: boolean;
  push: boolean;
  /** Built only as another target's `target:` context: no "no output" warning (bake: cacheonly). */
  linked?: boolean;
  /** `print`: a push without a tag is a warning (bake prints it and fails only when building), and no "no output" warning. */
  printOnly?: boolean;
  baseDir: string;
}

function resolvePaths(entry: TypedEntry, baseDir: string): TypedEntry {
  const attrs = { ...entry.attrs };
  for (const key of ['dest', 'src']) {
    const v = attrs[key];
    if (v !== undefined && v !== '' && v !== '-') attrs[key] = path.resolve(baseDir, v);
  }
  return { type: entry.type, attrs };
}

function isLoaded(o: TypedEntry, resultStore: OutputInput['resultStore']): boolean {
  return (o.type === 'docker' && o.attrs.dest === undefined) || (resultStore === 'engine' && o.type === 'image');
}

export function planOutputs(input: OutputInput, problems: Problems): TypedEntry[] {
  const { target, origin, builder, baseDir } = input;
  let outputs: TypedEntry[] = [];
  const explicit = input.written !== undefined && input.written.length > 0;
  if (explicit) {
    input.written!.forEach((w, i) => {
      let entry: TypedEntry;
      try {
        entry = parseOutput(w);
      } catch (err) {
        problems.error('invalid-config', ['target', origin, 'output', i], `target "${target}": ${(err as Error).message}`);
        return;
      }
      if (entry.type === '') {
        problems.error('invalid-config', ['target', origin, 'output', i], `target "${target}": output needs a type (type=local|tar|oci|docker|image|registry|cacheonly)`);
        return;
      }
      if ((entry.type === 'oci' || entry.type === 'docker') && entry.attrs.tar === 'false' && (entry.attrs.dest === undefined || entry.attrs.dest === '-')) {
        // An OCI layout is a directory, written through the session's content store (src/exec/oci-context.ts).
        problems.error('invalid-config', ['target', origin, 'output', i], `target "${target}": type=${entry.type} with tar=false writes an OCI layout directory: give it dest=DIR`);
        return;
      }
      if (entry.type === 'local' && (entry.attrs.dest === undefined || entry.attrs.dest === '' || entry.attrs.dest === '-')) {
        // As buildctl and buildx: no default directory. A missing dest once meant the current directory,
        // where the image's bin/, etc/… landed on top of the project's.
        problems.error(
          'invalid-config',
          ['target', origin, 'output', i],
          entry.attrs.dest === '-'
            ? `target "${target}": type=local writes a directory, not a stream: give dest=DIR, or use type=tar,dest=- for a tarball on stdout`
            : `target "${target}": type=local needs dest=DIR, the directory to write the files into (it is created if missing; files already there that the export does not contain are kept)`,
        );
        return;
      }
      if (entry.type === 'registry') entry = { type: 'image', attrs: { ...entry.attrs, push: 'true' } };
      outputs.push(resolvePaths(entry, baseDir));
    });
  } else if (input.loadsByDefault || builder.defaultLoad) {
    outputs = [{ type: 'docker', attrs: {} }];
  } else if (!input.load && !input.push && !input.linked && !input.printOnly) {
    // buildx warns when it builds, so `--print` does not say it; `plan` and `validate` still do.
    problems.warn(
      ['target', origin],
      `target ${target}: no output specified with the ${builder.driver} driver, the build result will only remain in the build cache. To push the result use --push, to load it use --load`,
      {
        key: `no-output:${builder.driver}`,
        item: target,
        summary: `no output specified for {items} with the ${builder.driver} driver, the build results will only remain in the build cache. To push the results use --push, to load them use --load`,
      },
    );
  }

  if (input.push || input.load) outputs = outputs.filter((o) => o.type !== 'cacheonly');
  if (input.push) {
    if (input.resultStore === 'engine') {
      outputs = outputs.map((o) => (o.type === 'docker' && o.attrs.dest === undefined ? { type: 'image', attrs: {} } : o));
    }
    let found = false;
    outputs = outputs.map((o) => {
      if (o.type !== 'image') return o;
      found = true;
      return { type: 'image', attrs: { ...o.attrs, push: 'true' } };
    });
    if (!found) outputs.push({ type: 'image', attrs: { push: 'true' } });
  }
  if (input.load && !outputs.some((o) => isLoaded(o, input.resultStore))) outputs.push({ type: 'docker', attrs: {} });

  const pushes = outputs.some((o) => o.type === 'image' && o.attrs.push === 'true' && !o.attrs.name);
  if (pushes && input.tags.length === 0) {
    const message = `target ${target}: tag is needed when pushing to registry (add "tags" to the target or name=REF to the output)`;
    if (input.printOnly) problems.warn(['target', origin], message);
    else problems.error('invalid-config', ['target', origin], message);
  }
  return outputs;
}


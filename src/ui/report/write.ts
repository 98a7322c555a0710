/**
 * `--report FILE`: the format by the file's extension (`.html`/`.htm`, `.json`), written atomically
 * (a temp file beside it, then rename) when FILE is a regular file or does not exist yet (its folder is
 * created); written in place otherwise (`/dev/stdout`, a pipe).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { renderReportHtml } from './html.js';
import type { ReportData } from './model.js';

export type ReportFormat = 'html' | 'json';

/** The format for a report path, or undefined when its extension names none. */
export function reportFormatFor(file: string): ReportFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.html' || ext === '.htm') return 'html';
  if (ext === '.json') return 'json';
  return undefined;
}

export function renderReport(data: ReportData, format: ReportFormat): string {
  return format === 'html' ? renderReportHtml(data) : JSON.stringify(data, null, 2) + '\n';
}

export async function writeReport(file: string, data: ReportData): Promise<void> {
  const format = reportFormatFor(file) ?? 'json';
  const text = renderReport(data, format);
  const existing = await fs.stat(file).catch(() => undefined);
  if (existing && !existing.isFile()) {
    await fs.writeFile(file, text);
    return;
  }
  // CI jobs name a report in an artifacts folder that may not exist yet.
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Serialises the writes of a watch session (a rewrite after each rebuild): a write waits for the one
 * before it, and a write that fails is reported once through `onError` without stopping later ones.
 */
export function createReportWriter(file: string, onError: (err: unknown) => void): { write(data: ReportData): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  return {
    write(data: ReportData): Promise<void> {
      chain = chain.then(() => writeReport(file, data)).catch(onError);
      return chain;
    },
  };
}

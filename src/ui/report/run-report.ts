/**
 * The report as the CLI uses it: a collector fed with the run's events and a writer that rewrites the
 * file on demand (at the end of a run, after each watch rebuild). Write failures are reported, not thrown:
 * a report must never hide the build's own result.
 */
import type { BuildEvent } from '../../events.js';
import { ReportCollector, type ReportPlan, type ReportStatus } from './model.js';
import { createReportWriter } from './write.js';

export interface RunReport {
  readonly file: string;
  readonly collector: ReportCollector;
  onEvent(e: BuildEvent): void;
  /** Write the report as of now; resolves false when the file could not be written (already reported). */
  write(options?: { status?: ReportStatus; error?: string }): Promise<boolean>;
  /** Wait for the writes started so far. */
  flush(): Promise<void>;
}

export function createRunReport(file: string, plan: ReportPlan, onError: (message: string) => void): RunReport {
  const collector = new ReportCollector(plan);
  let failed = false;
  let last: Promise<unknown> = Promise.resolve();
  const writer = createReportWriter(file, (err) => {
    failed = true;
    onError(`cannot write the report ${file}: ${err instanceof Error ? err.message : String(err)}`);
  });
  return {
    file,
    collector,
    onEvent: (e) => collector.onEvent(e),
    async write(options = {}) {
      if (options.error) collector.setRunError(options.error);
      failed = false;
      last = writer.write(collector.snapshot(options.status ? { status: options.status } : {}));
      await last;
      return !failed;
    },
    async flush() {
      await last;
    },
  };
}

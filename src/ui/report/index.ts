/** The build report (`--report FILE.html|FILE.json`): events → ReportData → a self-contained file. */
export { ReportCollector, criticalPath, exportTime, REPORT_VERSION } from './model.js';
export type { ReportData, ReportPlan, ReportStatus, ReportStep, ReportTarget, ReportTargetState, StepState } from './model.js';
export { renderReportHtml, layoutGraph } from './html.js';
export { createRunReport, type RunReport } from './run-report.js';
export { createReportWriter, renderReport, reportFormatFor, writeReport, type ReportFormat } from './write.js';

// Export the current filter: a save dialog in the desktop app, a download in the
// browser. The work happens on the other side and streams to disk; this only shows
// progress from export.progress events, so the window never waits on it.

import type { ExportFormat } from '../../../src-main/common/contract.js';
import { formatInt } from '../../lib/format.js';
import { useActions, useAppState } from '../../stores/app-context.js';

const FORMATS: { format: ExportFormat; label: string; title: string }[] = [
  { format: 'json', label: 'JSON', title: 'One JSON document with every matching record' },
  { format: 'jsonl', label: 'JSONL', title: 'JSON Lines: one record per line, for large sets' },
  { format: 'har', label: 'HAR', title: 'HTTP Archive, for browser dev tools and HAR viewers' },
];

export function ExportControls() {
  const actions = useActions();
  const running = useAppState((s) => s.exports.some((j) => j.state === 'running'));
  return (
    <div className="btn-group" role="group" aria-label="Export the current filter">
      <span className="btn-group-label">Export</span>
      {FORMATS.map((f) => (
        <button key={f.format} type="button" className="btn" title={f.title} disabled={running} onClick={() => void actions.runExport(f.format)} data-testid={`export-${f.format}`}>
          {f.label}
        </button>
      ))}
    </div>
  );
}

export function ExportJobs() {
  const actions = useActions();
  const jobs = useAppState((s) => s.exports);
  if (!jobs.length) return null;
  return (
    <div className="toasts" aria-live="polite">
      {jobs.map((j) => (
        <div key={j.id} className={`toast${j.state === 'failed' ? ' is-bad' : ''}`} data-testid="export-job" data-state={j.state}>
          {j.state === 'running' ? <span className="spinner" aria-hidden="true" /> : <span aria-hidden="true">{j.state === 'failed' ? '✕' : '✓'}</span>}
          <span className="toast-text">
            {j.state === 'running'
              ? `Exporting ${j.format.toUpperCase()}… ${j.written ? `${formatInt(j.written)} records` : ''}`
              : j.state === 'failed'
                ? `Export failed: ${j.message ?? 'unknown error'}`
                : j.path
                  ? `Exported ${formatInt(j.written)} records to ${j.path}`
                  : j.message && !j.written
                    ? j.message
                    : `Exported ${formatInt(j.written)} records`}
          </span>
          {j.state !== 'running' ? (
            <button type="button" className="btn btn-link" onClick={() => actions.dismissExport(j.id)} aria-label="Dismiss">
              ✕
            </button>
          ) : null}
        </div>
      ))}
    </div>
  );
}

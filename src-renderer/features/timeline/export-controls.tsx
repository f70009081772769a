// Export the current filter: a save dialog in the desktop app, a download in the
// browser. The work happens on the other side and streams to disk; this only shows
// progress from export.progress events, so the window never waits on it. A finished
// export's notice goes away by itself; a failed one stays until dismissed.

import { useEffect } from 'react';
import { EXPORT_FORMAT_NAMES, EXPORT_FORMATS } from '../../../src-main/common/contract.js';
import { countOf } from '../../lib/words.js';
import type { ExportJob } from '../../stores/app-store.js';
import { useActions, useAppState } from '../../stores/app-context.js';

/** How long "Exported N records" stays up. */
export const DONE_NOTICE_MS = 6_000;

const FORMATS = EXPORT_FORMAT_NAMES.map((format) => ({ format, label: EXPORT_FORMATS[format].label, title: EXPORT_FORMATS[format].title }));

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
  const jobs = useAppState((s) => s.exports);
  if (!jobs.length) return null;
  return (
    <div className="toasts" aria-live="polite">
      {jobs.map((j) => (
        <ExportToast key={j.id} job={j} />
      ))}
    </div>
  );
}

function ExportToast({ job: j }: { job: ExportJob }) {
  const actions = useActions();
  useEffect(() => {
    if (j.state !== 'done') return;
    const t = setTimeout(() => actions.dismissExport(j.id), DONE_NOTICE_MS);
    return () => clearTimeout(t);
  }, [j.state, j.id, actions]);
  return (
    <div className={`toast${j.state === 'failed' ? ' is-bad' : ''}`} data-testid="export-job" data-state={j.state}>
      {j.state === 'running' ? <span className="spinner" aria-hidden="true" /> : <span aria-hidden="true">{j.state === 'failed' ? '✕' : '✓'}</span>}
      <span className="toast-text">
        {j.state === 'running'
          ? `Exporting ${j.format.toUpperCase()}…${j.written ? ` ${countOf(j.written, 'record')}` : ''}`
          : j.state === 'failed'
            ? `Export failed: ${j.message ?? 'unknown error'}`
            : j.path
              ? `Exported ${countOf(j.written, 'record')} to ${j.path}`
              : j.message && !j.written
                ? j.message
                : `Exported ${countOf(j.written, 'record')}`}
      </span>
      {j.state !== 'running' ? (
        <button type="button" className="btn btn-link" onClick={() => actions.dismissExport(j.id)} aria-label="Dismiss">
          ✕
        </button>
      ) : null}
    </div>
  );
}

// Exports: one job per click, finished by the transport's answer (a saved file) or,
// for a browser download, by export.progress events from the live feed.

import type { ExportFormat } from '../../../src-main/common/contract.js';
import { errorMessage } from '../../api/streamtap-api.js';
import type { Slice, SliceContext } from './context.js';

/** How long a browser download may stay silent before we call it "started" and stop waiting. */
const DOWNLOAD_QUIET_MS = 4000;

export interface ExportJob {
  id: string;
  format: ExportFormat;
  state: 'running' | 'done' | 'failed' | 'canceled';
  written: number;
  /** where the file went (Electron save dialog) */
  path: string | null;
  message: string | null;
  /** transport: a browser download or a file written by the desktop app */
  mode: 'download' | 'file' | null;
}

export interface ExportsActions {
  runExport(format: ExportFormat): Promise<void>;
  dismissExport(id: string): void;
}

export interface ExportsInternal {
  /** the jobs with this frame's export.progress applied (by export id) */
  withProgress(jobs: ExportJob[], progress: ReadonlyMap<string, { written: number; done: boolean }>): ExportJob[];
  /** stops the quiet-download timers */
  stop(): void;
}

function newId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `x${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

export function createExportsSlice(ctx: SliceContext): Slice<{ exports: ExportJob[] }, ExportsActions, ExportsInternal> {
  const { api, get, set, scheduler } = ctx;
  const downloadTimers = new Map<string, ReturnType<typeof setTimeout>>();

  const internal: ExportsInternal = {
    withProgress(jobs, progress) {
      return jobs.map((job) => {
        const p = progress.get(job.id);
        if (!p) return job;
        const t = downloadTimers.get(job.id);
        if (t) clearTimeout(t);
        downloadTimers.delete(job.id);
        if (p.done && job.mode === 'download') return { ...job, written: p.written, state: 'done' as const, message: null };
        return { ...job, written: p.written };
      });
    },
    stop() {
      for (const t of downloadTimers.values()) clearTimeout(t);
      downloadTimers.clear();
    },
  };

  const actions: ExportsActions = {
    async runExport(format) {
      const id = newId();
      const job: ExportJob = { id, format, state: 'running', written: 0, path: null, message: null, mode: null };
      set({ exports: [...get().exports.filter((j) => j.state === 'running'), job] });
      const update = (patch: Partial<ExportJob>): void => set({ exports: get().exports.map((j) => (j.id === id ? { ...j, ...patch } : j)) });
      try {
        const result = await api.call('export.run', { filter: get().query, format, exportId: id });
        switch (result.status) {
          case 'saved':
            update({ state: 'done', written: result.count, path: result.path, mode: 'file' });
            break;
          case 'canceled':
            set({ exports: get().exports.filter((j) => j.id !== id) });
            break;
          case 'downloaded': {
            const { count } = result;
            update({ mode: 'download', ...(count !== null ? { state: 'done', written: count } : {}) });
            if (count === null) {
              // Progress events normally finish the job; if none come (a tiny export, or
              // a server that does not report), stop showing a spinner after a while.
              const quiet = (): void => {
                const j = get().exports.find((x) => x.id === id);
                if (j && j.state === 'running') update({ state: 'done', message: 'Download started' });
              };
              downloadTimers.set(id, setTimeout(quiet, DOWNLOAD_QUIET_MS));
            }
            break;
          }
          default: {
            const never: never = result;
            scheduler.warn('streamtap: unknown export result', never);
          }
        }
      } catch (err) {
        update({ state: 'failed', message: errorMessage(err) });
      }
    },

    dismissExport(id) {
      set({ exports: get().exports.filter((j) => j.id !== id) });
    },
  };

  return { initial: { exports: [] }, actions, internal };
}

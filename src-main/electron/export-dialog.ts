// `export.run` in the desktop app: the user picks the file in a native save dialog —
// the path comes ONLY from that dialog, never from the renderer, so a compromised page
// cannot write anywhere — then the records stream from the store's cursor through the
// export writers into the file, with progress pushed as `export.progress` live events.
// The writers apply backpressure and yield to the event loop, so a 100k-record export
// neither fills memory nor stalls the streams the proxy is recording meanwhile.

import fs from 'node:fs';
import path from 'node:path';
import type { SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import { EXPORT_FORMATS, exportFileName, type ChannelArgs, type ExportResult, type LiveEvent } from '../common/contract.js';
import type { Store } from '../core/db/store.js';
import { EXPORT_WRITERS, type ExportMeta } from '../core/export/writers.js';

export interface ExportRunDeps {
  /** dialog.showSaveDialog, bound to the dashboard window when there is one */
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  /** the store of the running core (it is replaced when settings are applied) */
  store(): Store;
  push(event: LiveEvent): void;
  /** where the dialog starts (app.getPath('downloads')) */
  defaultDir(): string;
  now?: () => Date;
}


function openForWriting(file: string): Promise<fs.WriteStream> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(file);
    out.once('open', () => resolve(out));
    out.once('error', (err) => reject(new Error(`cannot write ${file}: ${err.message}`)));
  });
}

function finish(out: fs.WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}

export function createExportRun(deps: ExportRunDeps): (args: ChannelArgs<'export.run'>) => Promise<ExportResult> {
  return async ({ filter, format, exportId }) => {
    const spec = EXPORT_FORMATS[format];
    const now = deps.now?.() ?? new Date();
    const choice = await deps.showSaveDialog({
      title: `Export ${spec.name}`,
      defaultPath: path.join(deps.defaultDir(), exportFileName(format, now)),
      filters: [{ name: spec.name, extensions: [spec.ext] }],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    if (choice.canceled || !choice.filePath) return { status: 'canceled' };
    const file = choice.filePath;

    const out = await openForWriting(file);
    const meta: ExportMeta = {
      filters: filter,
      exportedAt: now,
      onProgress: (written) => deps.push({ type: 'export.progress', exportId, written, done: false }),
    };
    try {
      // The records recorded up to this click are in it (awaited, not waited for).
      await deps.store().written();
      const { count } = await EXPORT_WRITERS[format](deps.store().iterate(filter, 'asc'), out, meta);
      await finish(out);
      deps.push({ type: 'export.progress', exportId, written: count, done: true });
      return { status: 'saved', count, path: file };
    } catch (err) {
      // A half-written export is worse than none: it looks like a complete file.
      out.destroy();
      fs.rmSync(file, { force: true });
      deps.push({ type: 'export.progress', exportId, written: 0, done: true });
      throw new Error(`the export to ${file} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

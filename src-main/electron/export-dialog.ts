// `export.run` in the desktop app: the user picks the file in a native save dialog —
// the path comes ONLY from that dialog, never from the renderer, so a compromised page
// cannot write anywhere — then the core's export (api.export, the bytes the CLI and the
// download get too) is piped into the file, with progress pushed as `export.progress`
// live events. The export applies backpressure and yields to the event loop, so a
// 100k-record export neither fills memory nor stalls the streams being recorded.

import fs from 'node:fs';
import path from 'node:path';
import type { SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import { EXPORT_FORMATS, exportFileName, type ChannelArgs, type ExportResult, type LiveEvent } from '../common/contract.js';
import { pipeline } from 'node:stream/promises';
import type { ApiModel } from '../core/api-model.js';

export interface ExportRunDeps {
  /** dialog.showSaveDialog, bound to the dashboard window when there is one */
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  /** the core's export */
  exportRecords: ApiModel['export'];
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
    try {
      // The records recorded up to this click are in it (the export awaits them).
      const run = deps.exportRecords({
        filter,
        format,
        exportedAt: now,
        onProgress: (written) => deps.push({ type: 'export.progress', exportId, written, done: false }),
      });
      await pipeline(run.stream, out);
      const count = await run.count;
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

// GET /__streamtap/api/export: a download (json | jsonl | har) of a filter. With an
// exportId the page also gets export.progress events on the live stream.

import type { ServerResponse } from 'node:http';
import { EXPORT_FORMATS, ExportFormatSchema, exportFileName, type LiveEvent } from '../../../common/contract.js';
import { RecordFilterSchema, type RecordFilter } from '../../../common/record.js';
import { pipeline } from 'node:stream/promises';
import type { Core } from '../../../core/create-core.js';
import { securityHeaders, sendApiError } from '../responses.js';

export type ExportRoute = (res: ServerResponse, url: URL) => Promise<void>;

export function createExportRoute(core: Pick<Core, 'api'>, broadcast: (ev: LiveEvent) => void): ExportRoute {
  return async (res, url) => {
    const format = ExportFormatSchema.safeParse(url.searchParams.get('format') ?? 'json');
    if (!format.success) return sendApiError(res, 400, 'invalid_payload', 'format must be json, jsonl or har');
    let filterJson: unknown = {};
    const rawFilter = url.searchParams.get('filter');
    if (rawFilter) {
      try {
        filterJson = JSON.parse(rawFilter) as unknown;
      } catch {
        return sendApiError(res, 400, 'invalid_payload', 'filter is not valid JSON');
      }
    }
    const filter = RecordFilterSchema.safeParse(filterJson);
    if (!filter.success) {
      const issue = filter.error.issues[0];
      return sendApiError(res, 400, 'invalid_payload', `filter: ${issue?.path.join('.') || 'filter'}: ${issue?.message ?? 'invalid'}`);
    }
    const exportId = url.searchParams.get('exportId');
    if (exportId !== null && !/^[\w-]{1,64}$/.test(exportId)) {
      return sendApiError(res, 400, 'invalid_payload', 'exportId must be 1 to 64 letters, digits, "-" or "_"');
    }
    const f: RecordFilter = filter.data;
    const includeEvents = url.searchParams.get('events') === '1';
    // The browser shows the download itself; with an exportId the page also gets
    // export.progress events on the live stream (the count is not known to it otherwise).
    const progress = (written: number, done: boolean) => {
      if (exportId !== null) broadcast({ type: 'export.progress', exportId, written, done });
    };
    res.writeHead(200, {
      ...securityHeaders(),
      'content-type': EXPORT_FORMATS[format.data].mediaType,
      'content-disposition': `attachment; filename="${exportFileName(format.data, new Date())}"`,
    });
    let written = 0;
    try {
      // The records recorded up to this click are in it (the export awaits them).
      const run = core.api.export({
        filter: f,
        format: format.data,
        includeEvents,
        onProgress: (n) => {
          written = n;
          progress(n, false);
        },
      });
      await pipeline(run.stream, res, { end: false });
      const count = await run.count;
      res.end();
      progress(count, true);
    } catch {
      // Headers are out: a cut connection is the only honest signal of a failed
      // download (a clean end would pass a truncated file off as complete).
      res.destroy();
      progress(written, true);
    }
  };
}

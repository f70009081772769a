// GET /__streamtap/…: the built renderer (out/renderer), no data in it. A client-side
// route (no extension) gets the page; nothing outside the folder is ever served.

import { promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { DASHBOARD_PREFIX } from '../../../common/routes.js';
import { contentTypeFor } from '../../../core/content-types.js';
import { securityHeaders, sendText } from '../responses.js';

export type StaticRoute = (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void>;

export function createStaticRoute(rendererDir: string): StaticRoute {
  return async (req, res, pathname) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      return sendText(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    }
    const indexFile = path.join(rendererDir, 'index.html');
    const built = await fsp.stat(indexFile).then((s) => s.isFile(), () => false);
    if (!built) {
      return sendText(
        res,
        503,
        `The Streamtap dashboard has not been built yet.\n\nRun \`npm run build\` in the Streamtap folder, then reload this page.\n(looked for ${indexFile})\n`,
      );
    }
    let rel: string;
    try {
      rel = decodeURIComponent(pathname.slice(DASHBOARD_PREFIX.length + 1));
    } catch {
      return sendText(res, 400, 'bad path');
    }
    if (rel.includes('\0') || rel.split(/[\\/]/).some((seg) => seg.startsWith('.'))) return sendText(res, 404, 'not found');
    let file = rel === '' ? indexFile : path.resolve(rendererDir, rel);
    if (file !== rendererDir && !file.startsWith(rendererDir + path.sep)) return sendText(res, 404, 'not found');
    let data: Buffer;
    try {
      data = await fsp.readFile(file);
    } catch {
      // A client-side route (no extension) gets the page; a missing asset is a 404.
      if (path.extname(rel) !== '') return sendText(res, 404, 'not found');
      file = indexFile;
      data = await fsp.readFile(file);
    }
    res.writeHead(200, {
      ...securityHeaders(),
      'content-type': contentTypeFor(file),
      'content-length': String(data.length),
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  };
}

// GET /__streamtap/api/events: the LiveEvent stream (SSE, `event: live`). The live feed
// and the heartbeat run only while someone listens; a client too far behind is cut off.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveEvent } from '../../../common/contract.js';
import type { Core } from '../../../core/create-core.js';
import { securityHeaders } from '../responses.js';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** an SSE client this far behind is cut off; EventSource reconnects and the page reloads its data */
const MAX_SSE_BACKLOG_BYTES = 4 * 1024 * 1024;

export interface EventsRoute {
  serve(req: IncomingMessage, res: ServerResponse): void;
  /** sends `ev` to every open stream (the export route's progress too) */
  broadcast(ev: LiveEvent): void;
  /** ends every stream and stops the feed and the heartbeat */
  close(): void;
}

export function createEventsRoute(core: Pick<Core, 'live'>, opts: { heartbeatMs: number; liveIntervalMs?: number }): EventsRoute {
  const sseClients = new Set<ServerResponse>();
  let stopFeed: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | null = null;

  const dropSse = (res: ServerResponse) => {
    if (!sseClients.delete(res)) return;
    if (!res.destroyed) res.end();
    if (sseClients.size === 0) {
      // Nobody listens: stop coalescing and building statuses for no one.
      stopFeed?.();
      stopFeed = null;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
    }
  };

  const writeSse = (res: ServerResponse, chunk: string) => {
    if (res.destroyed || res.writableEnded) return dropSse(res);
    if (res.writableLength > MAX_SSE_BACKLOG_BYTES) {
      res.destroy();
      return dropSse(res);
    }
    res.write(chunk);
  };

  const broadcast = (ev: LiveEvent) => {
    const chunk = `event: live\ndata: ${JSON.stringify(ev)}\n\n`;
    for (const res of [...sseClients]) writeSse(res, chunk);
  };

  return {
    broadcast,
    serve(req, res) {
      res.writeHead(200, {
        ...securityHeaders(),
        'content-type': 'text/event-stream; charset=utf-8',
        connection: 'keep-alive',
        // Reverse proxies (nginx) must not buffer the stream.
        'x-accel-buffering': 'no',
      });
      req.socket.setNoDelay(true);
      res.write('retry: 2000\n\n');
      sseClients.add(res);
      res.once('close', () => dropSse(res));
      if (!stopFeed) stopFeed = core.live.subscribe(broadcast, opts.liveIntervalMs !== undefined ? { intervalMs: opts.liveIntervalMs } : {});
      if (!heartbeat) {
        heartbeat = setInterval(() => {
          for (const c of [...sseClients]) writeSse(c, ': heartbeat\n\n');
        }, opts.heartbeatMs);
        heartbeat.unref();
      }
      // The page gets the current status at once rather than at the next change.
      try {
        writeSse(res, `event: live\ndata: ${JSON.stringify(core.live.status() satisfies LiveEvent)}\n\n`);
      } catch {
        // the status is pushed again on the next change
      }
    },
    close() {
      for (const res of [...sseClients]) dropSse(res);
      stopFeed?.();
      stopFeed = null;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
    },
  };
}

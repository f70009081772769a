// POST /__streamtap/api/call/<chan>: a contract channel; JSON args → {ok,result|error}.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { dispatch, type ApiError, type Handlers } from '../../../common/contract.js';
import { API_PREFIX } from '../../../common/routes.js';
import { ApiModelError } from '../../../core/api-model.js';
import type { Core } from '../../../core/create-core.js';
import { headerOne } from '../guard.js';
import { sendApiError, sendJson } from '../responses.js';

/** a call's JSON body; the largest legitimate one (settings) is a few KB */
const MAX_BODY_BYTES = 1024 * 1024;

const HTTP_STATUS: Record<ApiError['code'], number> = {
  invalid_payload: 400,
  invalid_settings: 400,
  unknown_channel: 404,
  not_found: 404,
  forbidden: 403,
  internal: 500,
};

export type CallRoute = (req: IncomingMessage, res: ServerResponse, channel: string) => Promise<void>;

export function createCallRoute(core: Pick<Core, 'api'>): CallRoute {
  const handlers: Handlers = {
    ...core.api,
    'export.run': () => {
      // The browser transport exports by navigating to GET /api/export (a download),
      // which a JSON call cannot do.
      throw new ApiModelError('not_found', `export.run is not a call over HTTP: download from GET ${API_PREFIX}export?format=json&filter=…`);
    },
  };

  return async (req, res, channel) => {
    const type = headerOne(req, 'content-type') ?? '';
    // A JSON content type cannot be sent cross-origin without a preflight (refused by
    // the guard): one more wall against form-based request forgery.
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      req.resume();
      return sendApiError(res, 415, 'invalid_payload', 'send the arguments as JSON with Content-Type: application/json');
    }
    const body = await readJsonBody(req);
    if (!body.ok) return sendApiError(res, body.status, 'invalid_payload', body.message, body.status === 413 ? { connection: 'close' } : {});
    const result = await dispatch(handlers, channel, body.value);
    if (result.ok) return sendJson(res, 200, result);
    return sendJson(res, HTTP_STATUS[result.error.code] ?? 500, result);
  };
}

function readJsonBody(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Awaited<ReturnType<typeof readJsonBody>>) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // Answer now and discard the rest (destroying the request would also destroy
        // the socket the answer goes out on).
        parts.length = 0;
        finish({ ok: false, status: 413, message: `the request body is larger than ${MAX_BODY_BYTES} bytes` });
        return;
      }
      parts.push(c);
    });
    req.once('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      if (text.trim() === '') return finish({ ok: true, value: undefined });
      try {
        finish({ ok: true, value: JSON.parse(text) as unknown });
      } catch {
        finish({ ok: false, status: 400, message: 'the request body is not valid JSON' });
      }
    });
    req.once('error', () => finish({ ok: false, status: 400, message: 'the request body could not be read' }));
  });
}

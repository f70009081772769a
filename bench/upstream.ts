// The benchmark's fake provider, run as its own process (so the provider, the proxy
// and the load generator each have an event loop and a line in /proc of their own).
// It listens on an ephemeral port of 127.0.0.1 and prints "upstream http://127.0.0.1:N".
//
// It answers by the `x-bench-workload` request header, never by parsing the body:
//   latency     a chat stream of 20 one-word chunks 10 ms apart (the first at once)
//   throughput  a chat stream of 200 chunks of 32 B, written back to back without
//               waiting for any write to drain — as fast as the socket takes them
//   nonstream   a whole chat.completion of 20 words
//   session     an Anthropic messages stream answering turn `x-bench-turn` of the agent session
// Every answer is built once and kept as bytes, so the provider costs little CPU.

import http from 'node:http';
import {
  LATENCY_CHUNK_GAP_MS,
  TURN_HEADER,
  WORKLOAD_HEADER,
  latencyStream,
  nonStreamBody,
  sessionStream,
  throughputStream,
  type ChatStream,
} from './workloads.js';

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_bench' };

interface PreparedStream {
  opening: Buffer;
  deltas: Buffer[];
  closing: Buffer;
}

function prepare(s: ChatStream): PreparedStream {
  return { opening: Buffer.from(s.opening), deltas: s.deltas.map((d) => Buffer.from(d)), closing: Buffer.from(s.closing) };
}

const LATENCY = prepare(latencyStream());
const THROUGHPUT = prepare(throughputStream());
const NONSTREAM = Buffer.from(nonStreamBody());
const sessionTurns = new Map<number, Buffer>();

function sendLatency(res: http.ServerResponse): void {
  res.writeHead(200, SSE_HEADERS);
  res.write(LATENCY.opening);
  res.write(LATENCY.deltas[0]!);
  let i = 1;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(LATENCY.deltas[i]!);
    if (++i === LATENCY.deltas.length) {
      clearInterval(timer);
      res.end(LATENCY.closing);
    }
  }, LATENCY_CHUNK_GAP_MS);
}

function sendThroughput(res: http.ServerResponse): void {
  res.writeHead(200, SSE_HEADERS);
  res.write(THROUGHPUT.opening);
  // Back to back, ignoring write()'s return value: the provider never waits for the
  // proxy, so whatever the proxy cannot keep up with queues up in front of it.
  for (const d of THROUGHPUT.deltas) res.write(d);
  res.end(THROUGHPUT.closing);
}

function sendSession(req: http.IncomingMessage, res: http.ServerResponse, bodyBytes: number): void {
  const turn = Number(req.headers[TURN_HEADER]) || 0;
  let body = sessionTurns.get(turn);
  if (!body) {
    body = Buffer.from(sessionStream(turn, Math.ceil(bodyBytes / 4)));
    sessionTurns.set(turn, body);
  }
  res.writeHead(200, { ...SSE_HEADERS, 'request-id': `req_bench_${turn}` });
  res.end(body);
}

const server = http.createServer({ keepAlive: true, requestTimeout: 0 }, (req, res) => {
  let bodyBytes = 0;
  req.on('data', (c: Buffer) => (bodyBytes += c.length));
  req.on('end', () => {
    switch (req.headers[WORKLOAD_HEADER]) {
      case 'latency':
        return sendLatency(res);
      case 'throughput':
        return sendThroughput(res);
      case 'nonstream':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': NONSTREAM.length, 'x-request-id': 'req_bench' });
        return void res.end(NONSTREAM);
      case 'session':
        return sendSession(req, res, bodyBytes);
      default:
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: `no such workload: ${String(req.headers[WORKLOAD_HEADER])}`, type: 'not_found' } }));
    }
  });
});
// Clients (the proxies, the load generator) keep their connections between rounds.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.maxRequestsPerSocket = 0;

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`upstream http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// The store's writer thread (started by write-executor.ts): its own connection to the
// database file, running each batch it is sent in one transaction and answering on
// the port. A worker entry of its own in both builds (out/main/writer-thread.js,
// out/cli/writer-thread.js); from the sources it is bundled on the fly
// (writer-from-source.ts). It imports only Node built-ins and types.

import { createRequire } from 'node:module';
import { workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { heapCollector } from '../idle-memory.js';
import { createMaintainer, createRunner } from './write-runner.js';
import { unpackArgs, type WriterData, type WriterReply, type WriterRequest } from './writer-protocol.js';

const { port, signal, modulePath, file, nativeBinding, busyTimeoutMs, journalSizeLimit } = workerData as WriterData;
const sig = new Int32Array(signal);
// Required relative to itself, not to this module: from the sources this module runs
// from a data: URL, which has no folder to resolve from.
const Sqlite = createRequire(modulePath)(modulePath) as typeof Database;
const db = new Sqlite(file, { timeout: busyTimeoutMs, ...(nativeBinding ? { nativeBinding } : {}) });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
db.pragma('foreign_keys = ON');
db.pragma(`journal_size_limit = ${journalSizeLimit}`);
// The triggers (the totals, the body segments) make nearly every write a multi-row
// statement, which SQLite guards with a statement journal; on the default temp store
// that journal spilled to a deleted file in /var/tmp, tens of thousands of small
// writes per thousand requests beside the WAL's own. In memory it costs a few pages per
// statement (a 50-record retention batch of 4 MiB bodies left the peak RSS unchanged).
db.pragma('temp_store = MEMORY');
const run = createRunner(db);
const maintain = createMaintainer(db);
// This thread's heap grows with the batches of a busy minute (cloned records, bound
// texts) and, like the main thread's, is collected once the batches stop.
const memory = heapCollector();

port.on('message', (m: WriterRequest) => {
  memory.busy();
  let reply: WriterReply;
  if (m.type === 'close') {
    try {
      db.close();
    } catch {
      // Closing is the last thing this thread does; there is no one left to tell.
    }
    reply = { seq: m.seq, closed: true };
  } else if (m.type === 'maintain') {
    reply = { seq: m.seq, result: maintain(m.sql) };
  } else {
    reply = { seq: m.seq, result: run(unpackArgs(m.ops)) };
  }
  // Post first, then signal: a main thread woken by the signal finds the reply queued.
  port.postMessage(reply);
  Atomics.add(sig, 0, 1);
  Atomics.notify(sig, 0);
  if ('closed' in reply) {
    memory.stop();
    port.close();
  } else {
    memory.idle();
  }
});

// What a request left in_progress by a run that stopped (a crash, a kill, a power cut)
// becomes at the next start: interrupted, ending at the last moment that run is known
// to have seen it alive, with Streamtap itself (the proxy) as the side that stopped.
// The store finds such rows and writes the change; the shape of the change is here.

import type { RequestRecord } from './record.js';

/** The record as interrupted; `diagnosis` and `phase` are left for the caller's classifier. */
export function markInterrupted(rec: RequestRecord): RequestRecord {
  const t = rec.timings;
  const lastSeenMs = Math.max(0, ...[t.lastEventMs, t.ttftMs, t.firstByteMs].filter((v) => v !== null));
  const endedAt = Math.max(rec.startedAt + lastSeenMs, rec.endedAt ?? 0);
  return {
    ...rec,
    outcome: 'interrupted',
    endedAt,
    timings: { ...t, durationMs: endedAt - rec.startedAt },
    evidence: { ...rec.evidence, closeSide: 'proxy' },
  };
}

/** The fields markInterrupted() and the classifier change: what recovery writes. */
export function interruptedChanges(interrupted: RequestRecord, described: { diagnosis: string; phase: RequestRecord['phase'] }): Partial<RequestRecord> {
  return {
    outcome: interrupted.outcome,
    endedAt: interrupted.endedAt,
    timings: interrupted.timings,
    evidence: interrupted.evidence,
    diagnosis: described.diagnosis,
    phase: described.phase,
  };
}

// The response as it stands: reasoning, text and tool calls — for an aborted or broken
// stream, exactly what had arrived, with the place where it stopped marked.

import type { RequestRecord } from '../../../src-main/common/record.js';
import { badgeFor } from '../../lib/outcome.js';
import { ClampedText } from './clamped-text.js';

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function ResponseView({ record: r }: { record: RequestRecord }) {
  const partial = r.outcome !== 'completed' && r.outcome !== 'in_progress';
  const live = r.outcome === 'in_progress';
  const hasContent = r.responseText !== '' || r.responseReasoning !== '' || r.toolCalls.length > 0;
  const badge = badgeFor(r);
  const after = r.timings.durationMs !== null ? `, ${(r.timings.durationMs / 1000).toFixed(1)} s after the request` : '';
  // Only a stream has a place where it "stopped"; a non-stream answer either came whole
  // (here an error body, shown above) or not at all.
  const stopMark = partial ? (
    <div className="cut-mark" data-testid="cut-mark">
      <span aria-hidden="true">{badge.glyph}</span>{' '}
      {r.stream
        ? `the stream stopped here — ${badge.label}${after}`
        : r.outcome === 'upstream_error'
          ? `the provider answered with an error instead of a completion — ${badge.label}${r.httpStatus !== null ? ` ${r.httpStatus}` : ''}${after}`
          : `no answer arrived — ${badge.label}${after}`}
    </div>
  ) : live ? (
    <div className="cut-mark is-live">
      <span className="spinner" aria-hidden="true" /> streaming…
    </div>
  ) : null;

  return (
    <div className="response-view">
      {partial && hasContent ? <div className="note warn">Partial response: this is everything that arrived before the stream ended.</div> : null}
      {r.responseReasoning ? (
        <details className="fold" open={!r.responseText}>
          <summary>
            Reasoning <span className="faint">{r.responseReasoning.length.toLocaleString('en-US')} chars</span>
          </summary>
          <ClampedText text={r.responseReasoning} limit={20_000} />
        </details>
      ) : null}
      {r.responseText ? (
        <div className="answer" data-testid="response-text">
          <ClampedText text={r.responseText} limit={50_000} />
        </div>
      ) : null}
      {r.toolCalls.map((tc, i) => (
        <div key={tc.id ?? i} className="part-tool">
          <div className="part-tool-head">
            <span className="tag">tool call</span> <code>{tc.name ?? '?'}</code> {tc.id ? <span className="faint mono">{tc.id}</span> : null}
          </div>
          <ClampedText text={prettyJson(tc.arguments)} limit={8000} />
        </div>
      ))}
      {!hasContent && r.responseBody && r.responseBody.text ? (
        <div>
          <div className="section-label">Response body{r.responseBody.truncated ? ' (cut at the capture limit)' : ''}</div>
          <ClampedText text={prettyJson(r.responseBody.text)} limit={20_000} />
        </div>
      ) : null}
      {!hasContent && !(r.responseBody && r.responseBody.text) ? <div className="faint empty-inline">No response content was received.</div> : null}
      {stopMark}
    </div>
  );
}

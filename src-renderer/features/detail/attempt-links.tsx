// Where a request stands in its turn: "attempt 2 of 3", the attempt it retried and the
// one that retried it, each one click away (requests.attempts). Nothing for a turn of
// one attempt.

import type { TurnAttempt, TurnAttempts } from '../../../src-main/common/contract.js';
import type { RequestRecord } from '../../../src-main/common/record.js';
import { AttemptBadge } from '../../components/outcome-badge.js';
import { useActions } from '../../stores/app-context.js';

function AttemptLink({ a, rel, testId }: { a: TurnAttempt; rel: string; testId: string }) {
  const actions = useActions();
  return (
    <span className="attempt-link">
      <button type="button" className="btn btn-link" onClick={() => actions.openDetail(a.recordId)} data-testid={testId} data-id={a.recordId}>
        {rel} attempt {a.attempt}
      </button>
      <AttemptBadge row={a} />
    </span>
  );
}

export function AttemptLinks({ record: r, attempts }: { record: RequestRecord; attempts: TurnAttempts | null }) {
  // The answer may be for the request the detail showed before: use it only if it holds this one.
  const list = attempts?.attempts ?? [];
  const at = list.findIndex((a) => a.recordId === r.id);
  const self = list[at];
  if (!self || list.length < 2) return null;
  const prev = list[at - 1];
  const next = list[at + 1];
  return (
    <div className="attempt-links" data-testid="attempt-links">
      <span className="faint-2">
        Attempt {self.attempt} of {list.length} of its turn
      </span>
      {prev ? <AttemptLink a={prev} rel="retry of" testId="retry-of" /> : null}
      {next ? <AttemptLink a={next} rel="retried as" testId="retried-as" /> : null}
    </div>
  );
}

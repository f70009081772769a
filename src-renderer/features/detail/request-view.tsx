// The request as a person reads it: the latest thing the user typed first (agents
// resend the whole conversation, and Claude Code buries the prompt under screens of
// <system-reminder> text), then the parameters, the system prompt and tools folded
// away, and the conversation by role, oldest first, with reminders and tool results
// folded too.

import { useMemo, useState } from 'react';
import type { RequestRecord } from '../../../src-main/common/record.js';
import { latestPrompt, parseRequestBody, splitReminders, type Message, type Part } from '../../lib/messages.js';
import { countOf, plural } from '../../lib/words.js';
import { ClampedText } from './clamped-text.js';

const INITIAL_MESSAGES = 30;

function Reminders({ reminders }: { reminders: string[] }) {
  if (!reminders.length) return null;
  return (
    <details className="part-reminder">
      <summary>
        {countOf(reminders.length, 'system reminder')} <span className="faint">(the tool&rsquo;s notes to the model)</span>
      </summary>
      {reminders.map((r, i) => (
        <ClampedText key={i} text={r} limit={3000} />
      ))}
    </details>
  );
}

export function PartView({ part }: { part: Part }) {
  switch (part.kind) {
    case 'text': {
      const s = splitReminders(part.text);
      return (
        <>
          {s.text ? <ClampedText text={s.text} /> : null}
          <Reminders reminders={s.reminders} />
        </>
      );
    }
    case 'reasoning':
      return (
        <details className="part-reasoning">
          <summary>Reasoning</summary>
          <ClampedText text={part.text} />
        </details>
      );
    case 'image':
      return <div className="part-note">[{part.note}]</div>;
    case 'tool_call':
      return (
        <div className="part-tool">
          <div className="part-tool-head">
            <span className="tag">tool call</span> <code>{part.name}</code> {part.id ? <span className="faint mono">{part.id}</span> : null}
          </div>
          <ClampedText text={part.args} limit={3000} />
        </div>
      );
    case 'tool_result':
      return (
        <details className={`part-tool part-tool-result${part.isError ? ' is-bad' : ''}`}>
          <summary className="part-tool-head">
            <span className="tag">tool result</span> {part.id ? <span className="faint mono">{part.id}</span> : null}
            {part.isError ? <span className="bad-text"> error</span> : null} <span className="faint">{part.text.length.toLocaleString('en-US')} chars</span>
          </summary>
          <ClampedText text={part.text} limit={3000} />
        </details>
      );
    case 'other':
      return <ClampedText text={part.json} limit={3000} />;
    default: {
      const never: never = part;
      return <pre className="pre">{JSON.stringify(never)}</pre>;
    }
  }
}

function MessageView({ m, latest }: { m: Message; latest: boolean }) {
  const collapsible = m.role === 'system' || m.role === 'developer';
  const body = (
    <div className="msg-body">
      {m.parts.length === 0 ? <span className="faint">(empty)</span> : m.parts.map((p, i) => <PartView key={i} part={p} />)}
    </div>
  );
  if (collapsible) {
    return (
      <details className={`msg role-${m.role}`}>
        <summary className="msg-role">{m.role}</summary>
        {body}
      </details>
    );
  }
  return (
    <div className={`msg role-${m.role}${latest ? ' is-latest-prompt' : ''}`}>
      <div className="msg-role">
        {m.role}
        {latest ? <span className="faint"> · the latest prompt, shown above</span> : null}
      </div>
      {body}
    </div>
  );
}

export function RequestView({ record }: { record: RequestRecord }) {
  const parsed = useMemo(() => parseRequestBody(record.api, record.requestBody), [record.api, record.requestBody]);
  const prompt = useMemo(() => latestPrompt(parsed), [parsed]);
  const [showAll, setShowAll] = useState(false);
  const hidden = showAll ? 0 : Math.max(0, parsed.messages.length - INITIAL_MESSAGES);
  const shown = parsed.messages.slice(hidden);
  return (
    <div className="request-view">
      {parsed.problem ? <div className="note">{parsed.problem}</div> : null}
      {prompt ? (
        <section className="prompt" data-testid="latest-prompt" aria-label="The latest prompt">
          <div className="section-label">
            Latest prompt
            {prompt.after > 0 ? (
              <span className="faint">
                {' '}
                · then {countOf(prompt.after, 'message')} of tool calls and results in this turn
              </span>
            ) : null}
          </div>
          <ClampedText text={prompt.text} limit={20_000} className="pre prompt-text" />
          <Reminders reminders={prompt.reminders} />
          {prompt.toolResults ? <div className="faint small">and {countOf(prompt.toolResults, 'tool result')}, in the conversation below</div> : null}
        </section>
      ) : null}
      {parsed.params.length ? (
        <table className="kv params" data-testid="params">
          <tbody>
            {parsed.params.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>
                  <code>{v}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {parsed.system !== null ? (
        <details className="fold">
          <summary>
            System prompt <span className="faint">{parsed.system.length.toLocaleString('en-US')} chars</span>
          </summary>
          <ClampedText text={parsed.system} limit={20_000} />
        </details>
      ) : null}
      {parsed.tools.length ? (
        <details className="fold">
          <summary>
            Tools <span className="faint">{parsed.tools.length}</span>
          </summary>
          <ul className="tools">
            {parsed.tools.map((t, i) => (
              <li key={`${t.name}-${i}`}>
                <details>
                  <summary>
                    <code>{t.name}</code> <span className="faint">{t.description.split('\n')[0]?.slice(0, 140)}</span>
                  </summary>
                  {t.description ? <ClampedText text={t.description} limit={4000} /> : null}
                  {t.schema ? <ClampedText text={t.schema} limit={4000} /> : null}
                </details>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {parsed.messages.length ? (
        <div className="section-label">
          Conversation <span className="faint">{countOf(parsed.messages.length, 'message')}, oldest first</span>
        </div>
      ) : null}
      {hidden > 0 ? (
        <button type="button" className="btn btn-small show-earlier" onClick={() => setShowAll(true)}>
          Show {hidden} earlier {plural(hidden, 'message')}
        </button>
      ) : null}
      <div className="messages" data-testid="request-messages">
        {shown.map((m, i) => (
          <MessageView key={hidden + i} m={m} latest={prompt?.index === hidden + i} />
        ))}
      </div>
    </div>
  );
}

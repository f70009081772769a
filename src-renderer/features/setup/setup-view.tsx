// Copy-ready snippets that point each tool at Streamtap, built from the real base URL
// (setup.info), with whether a request from that tool has been seen yet.

import { useCallback, useEffect, useState } from 'react';
import type { SetupInfo } from '../../../src-main/common/contract.js';
import { errorMessage } from '../../api/streamtap-api.js';
import { CodeBlock, CopyButton } from '../../components/copy-button.js';
import { formatAgo } from '../../lib/format.js';
import { seenFor, toolSetups } from '../../lib/snippets.js';
import { useApp } from '../../stores/app-context.js';

export function SetupView() {
  const { api } = useApp();
  const [info, setInfo] = useState<SetupInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api.call('setup.info', {}).then(
      (i) => {
        setInfo(i);
        setError(null);
      },
      (e) => setError(errorMessage(e)),
    );
  }, [api]);
  useEffect(() => {
    load();
    // "seen yet" changes as soon as a tool sends its first request
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [load]);

  if (error && !info) return <div className="note bad">{error}</div>;
  if (!info) return <div className="faint pad">Loading…</div>;
  const tools = toolSetups(info.baseUrl);
  return (
    <section className="setup" aria-label="Setup">
      <div className="view-head">
        <h1>Point your tools at Streamtap</h1>
        <p className="faint">
          Streamtap forwards every request to the real provider unchanged and records it. Your API keys pass through and are never stored.
        </p>
        <div className="baseurls">
          <div className="baseurl">
            <span className="faint">OpenAI-compatible base URL</span> <code data-testid="base-url-openai">{info.baseUrl}/v1</code>
            <CopyButton text={`${info.baseUrl}/v1`} />
          </div>
          <div className="baseurl">
            <span className="faint">Anthropic base URL</span> <code>{info.baseUrl}</code>
            <CopyButton text={info.baseUrl} />
          </div>
        </div>
        <details className="fold upstream-list">
          <summary>Upstreams ({Object.keys(info.upstreams).length})</summary>
          <table className="kv">
            <tbody>
              {Object.entries(info.upstreams).map(([name, url]) => (
                <tr key={name}>
                  <th>{name}</th>
                  <td>
                    <code>{url}</code>{' '}
                    <span className="faint">
                      via {info.baseUrl}/{name}/…
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </div>
      <div className="tool-grid">
        {tools.map((t) => {
          const seen = seenFor(t, info.clientsSeen);
          return (
            <article key={t.id} className={`tool${t.supported ? '' : ' is-unsupported'}`} data-tool={t.id}>
              <header className="tool-head">
                <h2>{t.title}</h2>
                {!t.supported ? (
                  <span className="tag tag-bad">not recordable</span>
                ) : seen !== null ? (
                  <span className="tag tag-ok" title={new Date(seen).toLocaleString()}>
                    ✓ seen {formatAgo(seen)}
                  </span>
                ) : (
                  <span className="tag">not seen yet</span>
                )}
              </header>
              {t.blocks.map((b) => (
                <CodeBlock key={b.label} label={b.label} code={b.code} />
              ))}
              {t.notes.map((n) => (
                <p key={n} className="tool-note">
                  {n}
                </p>
              ))}
            </article>
          );
        })}
      </div>
    </section>
  );
}

// A captured body shown as a collapsible, pretty-printed JSON tree (react-json-view-lite:
// small, no dependencies, class names only, so it works under the app's strict CSP and
// takes the dashboard's own light and dark colours), with copy buttons for the body
// pretty-printed and as sent. Text that is not JSON (or was cut at the capture limit)
// is shown as text.

import { useMemo, useState } from 'react';
import { JsonView, type Props as JsonViewProps } from 'react-json-view-lite';
import { ClampedText } from '../features/detail/clamped-text.js';
import { CopyButton } from './copy-button.js';

type TreeStyle = NonNullable<JsonViewProps['style']>;

const TREE_STYLE: TreeStyle = {
  container: 'jt',
  basicChildStyle: 'jt-row',
  childFieldsContainer: 'jt-children',
  label: 'jt-key',
  clickableLabel: 'jt-key is-clickable',
  nullValue: 'jt-null',
  undefinedValue: 'jt-null',
  numberValue: 'jt-number',
  stringValue: 'jt-string',
  booleanValue: 'jt-boolean',
  otherValue: 'jt-other',
  punctuation: 'jt-punct',
  expandIcon: 'jt-toggle is-collapsed',
  collapseIcon: 'jt-toggle is-expanded',
  collapsedContent: 'jt-collapsed',
  noQuotesForStringValues: false,
  quotesForFieldNames: true,
  ariaLables: { collapseJson: 'collapse', expandJson: 'expand' },
  stringifyStringValues: true,
};

/** The top level and its children open; deeper nodes closed (a 115 KB agent request
 * opens on its keys and its message list, not on screens of nested text). */
const OPEN_TWO_LEVELS = (level: number): boolean => level < 2;
const OPEN_ALL = (): boolean => true;
const OPEN_TOP = (level: number): boolean => level < 1;

function parse(text: string): { ok: true; value: object } | { ok: false } {
  const t = text.trimStart();
  if (t[0] !== '{' && t[0] !== '[') return { ok: false };
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}

export function JsonBody({ text, limit = 20_000, testId }: { text: string; limit?: number; testId?: string }) {
  const parsed = useMemo(() => parse(text), [text]);
  const [mode, setMode] = useState<'tree' | 'text'>('tree');
  const [expand, setExpand] = useState<'default' | 'all' | 'top'>('default');
  const pretty = useMemo(() => (parsed.ok ? JSON.stringify(parsed.value, null, 2) : text), [parsed, text]);
  if (!parsed.ok) {
    return (
      <div className="json-body" data-testid={testId}>
        <div className="json-tools">
          <CopyButton text={text} label="Copy" />
        </div>
        <ClampedText text={text} limit={limit} />
      </div>
    );
  }
  return (
    <div className="json-body" data-testid={testId}>
      <div className="json-tools">
        <div className="seg" role="group" aria-label="Show as">
          <button type="button" className={`seg-btn${mode === 'tree' ? ' is-active' : ''}`} aria-pressed={mode === 'tree'} onClick={() => setMode('tree')}>
            Tree
          </button>
          <button type="button" className={`seg-btn${mode === 'text' ? ' is-active' : ''}`} aria-pressed={mode === 'text'} onClick={() => setMode('text')}>
            Text
          </button>
        </div>
        {mode === 'tree' ? (
          <>
            <button type="button" className="btn btn-small" onClick={() => setExpand('all')}>
              Expand all
            </button>
            <button type="button" className="btn btn-small" onClick={() => setExpand('top')}>
              Collapse
            </button>
          </>
        ) : null}
        <span className="spacer" />
        <CopyButton text={pretty} label="Copy JSON" />
        <CopyButton text={text} label="Copy as sent" />
      </div>
      {mode === 'tree' ? (
        // Remounted on "expand all" / "collapse": shouldExpandNode only sets the initial state.
        <div className="json-tree" key={expand}>
          <JsonView data={parsed.value} style={TREE_STYLE} shouldExpandNode={expand === 'all' ? OPEN_ALL : expand === 'top' ? OPEN_TOP : OPEN_TWO_LEVELS} />
        </div>
      ) : (
        <ClampedText text={pretty} limit={limit * 2} />
      )}
    </div>
  );
}

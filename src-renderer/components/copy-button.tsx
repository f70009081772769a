import { useState } from 'react';
import { copyText } from './dom.js';

/** A button that copies `text` and says so for a moment. */
export function CopyButton({ text, label = 'Copy', className = '' }: { text: string | (() => string); label?: string; className?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <button
      type="button"
      className={`btn btn-small ${className}`}
      onClick={async () => {
        const ok = await copyText(typeof text === 'function' ? text() : text);
        setState(ok ? 'copied' : 'failed');
        setTimeout(() => setState('idle'), 1500);
      }}
    >
      {state === 'copied' ? '✓ Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}

/** A code block with a copy button in its corner. */
export function CodeBlock({ code, label }: { code: string; label?: string }) {
  return (
    <div className="codeblock">
      <div className="codeblock-head">
        <span className="codeblock-label">{label ?? ''}</span>
        <CopyButton text={code} />
      </div>
      <pre>
        <code>{code}</code>
      </pre>
    </div>
  );
}

// Settings: port, upstreams, timeouts, capture limits, retention. Checked here with the
// contract's SettingsSchema (per-field messages), saved with settings.set, and the
// core's own refusal shown as it comes back.

import { useEffect, useState, type ReactNode } from 'react';
import { errorMessage } from '../../api/streamtap-api.js';
import { formatBytes } from '../../lib/format.js';
import { toForm, validateForm, type FieldErrors, type SettingsForm } from '../../lib/settings-form.js';
import { useApp, useAppState } from '../../stores/app-context.js';

type Field = Exclude<keyof SettingsForm, 'upstreams'>;

export function SettingsView() {
  const { api, actions } = useApp();
  const [form, setForm] = useState<SettingsForm | null>(null);
  const [saved, setSaved] = useState<SettingsForm | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // This page is served on `streamtap serve`'s own port: moving it would strand the
  // page, so the port is changed where the server is started.
  const headless = useAppState((s) => s.status?.runtime === 'headless');
  const dbBytes = useAppState((s) => s.status?.dbBytes);
  const dbPath = useAppState((s) => s.status?.dbPath);

  useEffect(() => {
    api.call('settings.get', {}).then(
      (s) => {
        const f = toForm(s);
        setForm(f);
        setSaved(f);
      },
      (e) => setServerError(errorMessage(e)),
    );
  }, [api]);

  if (!form) return serverError ? <div className="note bad">{serverError}</div> : <div className="faint pad">Loading…</div>;

  const dirty = JSON.stringify(form) !== JSON.stringify(saved);
  const update = (patch: Partial<SettingsForm>) => {
    const next = { ...form, ...patch };
    setForm(next);
    // Re-check only fields that already showed an error, so typing is not nagged.
    if (Object.keys(errors).length) {
      const r = validateForm(next);
      setErrors(r.ok ? {} : r.errors);
    }
  };

  const save = async () => {
    const r = validateForm(form);
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setServerError(null);
    setSaving(true);
    try {
      const applied = await api.call('settings.set', r.value);
      const f = toForm(applied);
      setForm(f);
      setSaved(f);
      actions.notify('Settings saved');
    } catch (e) {
      setServerError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  const num = (key: Field, label: string, unit: string, hint?: ReactNode, readOnly = false) => (
    <FieldRow label={label} error={errors[key]} hint={hint} htmlFor={`f-${key}`}>
      <div className="input-unit">
        <input
          id={`f-${key}`}
          className={`input${errors[key] ? ' is-invalid' : ''}`}
          inputMode="decimal"
          readOnly={readOnly}
          aria-readonly={readOnly || undefined}
          value={form[key]}
          onChange={(e) => update({ [key]: e.target.value } as Partial<SettingsForm>)}
          aria-invalid={errors[key] ? true : undefined}
          aria-describedby={errors[key] ? `e-${key}` : undefined}
        />
        <span className="unit">{unit}</span>
      </div>
    </FieldRow>
  );

  return (
    <section className="settings" aria-label="Settings">
      <div className="view-head">
        <h1>Settings</h1>
        <p className="faint">Saved to the settings file and applied to the running proxy. Records already written are never touched.</p>
      </div>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        noValidate
      >
        <fieldset>
          <legend>Proxy</legend>
          {headless
            ? num(
                'port',
                'Port',
                '',
                <span data-testid="port-hint">
                  This page is served on the port of <code>streamtap serve</code>. To use another, restart it with <code>--port N</code> (or set <code>port</code> in the settings file).
                </span>,
                true,
              )
            : num('port', 'Port', '', 'Changing the port moves the listener (streams in flight finish on the old one); point your tools at the new base URL.')}
        </fieldset>
        <fieldset>
          <legend>Upstreams</legend>
          <p className="faint small">
            <code>/v1/*</code> goes to <code>openai</code> (and <code>/v1/messages</code> to <code>anthropic</code>); <code>/&lt;name&gt;/…</code> goes to the upstream of that
            name.
          </p>
          {form.upstreams.map((u, i) => (
            <div key={i} className="upstream-row">
              <div className="field-inline">
                <input
                  className={`input up-name${errors[`upstreams.${i}.name`] ? ' is-invalid' : ''}`}
                  placeholder="name"
                  aria-label={`Upstream ${i + 1} name`}
                  value={u.name}
                  onChange={(e) => update({ upstreams: form.upstreams.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })}
                />
                {errors[`upstreams.${i}.name`] ? <div className="field-error">{errors[`upstreams.${i}.name`]}</div> : null}
              </div>
              <span className="faint">=</span>
              <div className="field-inline grow">
                <input
                  className={`input${errors[`upstreams.${i}.url`] ? ' is-invalid' : ''}`}
                  placeholder="https://api.example.com"
                  aria-label={`Upstream ${i + 1} URL`}
                  value={u.url}
                  onChange={(e) => update({ upstreams: form.upstreams.map((x, j) => (j === i ? { ...x, url: e.target.value } : x)) })}
                />
                {errors[`upstreams.${i}.url`] ? <div className="field-error">{errors[`upstreams.${i}.url`]}</div> : null}
              </div>
              <button type="button" className="btn btn-icon" aria-label={`Remove upstream ${u.name || i + 1}`} onClick={() => update({ upstreams: form.upstreams.filter((_, j) => j !== i) })}>
                ✕
              </button>
            </div>
          ))}
          <button type="button" className="btn btn-small" onClick={() => update({ upstreams: [...form.upstreams, { name: '', url: '' }] })}>
            + Add upstream
          </button>
        </fieldset>
        <fieldset>
          <legend>Timeouts</legend>
          {num('headersS', 'Response headers', 's', 'How long to wait for the provider to start answering. Reasoning models can think for minutes.')}
          {num('idleS', 'Idle mid-stream', 's', 'Silence allowed between two events before the stream is given up.')}
          {num('connectS', 'Connect', 's')}
        </fieldset>
        <fieldset>
          <legend>Capture limits</legend>
          {num('requestBodyKiB', 'Request body', 'KiB')}
          {num('responseBodyKiB', 'Response body', 'KiB')}
          {num('textChars', 'Assembled text', 'chars')}
          {num('eventKiB', 'Raw events, total', 'KiB')}
          {num('eventCount', 'Raw events, count', 'events')}
        </fieldset>
        <fieldset>
          <legend>Retention</legend>
          {num('retentionDays', 'Keep records for', 'days', '0 keeps everything.')}
          {num('retentionMaxMiB', 'Keep the database under', 'MiB', '0 sets no limit. Past it, the oldest records are deleted first and the file shrinks.')}
          <p className="faint small" data-testid="db-size">
            {dbBytes !== undefined ? (
              <>
                The database takes <strong>{formatBytes(dbBytes)}</strong> on disk{dbPath ? <> (<code>{dbPath}</code> and its WAL)</> : null}.
              </>
            ) : null}
          </p>
        </fieldset>
        {errors['form'] ? <div className="note bad">{errors['form']}</div> : null}
        {serverError ? (
          <div className="note bad" role="alert" data-testid="settings-server-error">
            {serverError}
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={saving || !dirty}>
            {saving ? 'Saving…' : 'Save settings'}
          </button>
          <button type="button" className="btn" disabled={!dirty || saving} onClick={() => {
              setForm(saved);
              setErrors({});
              setServerError(null);
            }}>
            Revert
          </button>
          {Object.keys(errors).length ? <span className="bad-text">Fix the fields marked above.</span> : null}
        </div>
      </form>
    </section>
  );
}

function FieldRow({ label, error, hint, htmlFor, children }: { label: string; error?: string | undefined; hint?: ReactNode; htmlFor: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={htmlFor} className="field-label">
        {label}
      </label>
      <div className="field-control">
        {children}
        {error ? (
          <div className="field-error" id={`e-${htmlFor.slice(2)}`}>
            {error}
          </div>
        ) : hint ? (
          <div className="field-hint">{hint}</div>
        ) : null}
      </div>
    </div>
  );
}

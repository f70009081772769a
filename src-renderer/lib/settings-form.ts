// The settings form: text fields in the units people think in (seconds, KiB) mapped to
// common/settings.ts's Settings (ms, bytes), validated with its own SettingsSchema so the window and the core agree on what is valid. Errors are
// keyed by form field, worded for a person. Pure.

import { RESERVED_UPSTREAM_NAMES, UPSTREAM_NAME_PATTERN } from '../../src-main/common/routes.js';
import { SettingsSchema, type Settings } from '../../src-main/common/settings.js';

export interface UpstreamRow {
  name: string;
  url: string;
}

export interface SettingsForm {
  port: string;
  upstreams: UpstreamRow[];
  headersS: string;
  idleS: string;
  connectS: string;
  requestBodyKiB: string;
  responseBodyKiB: string;
  textChars: string;
  eventKiB: string;
  eventCount: string;
  retentionDays: string;
  retentionMaxMiB: string;
}

/** Field key -> message. Upstream rows use `upstreams.<index>.name` / `.url`. */
export type FieldErrors = Record<string, string>;

const trimNum = (n: number): string => String(Number.isInteger(n) ? n : Number(n.toFixed(3)));

export function toForm(s: Settings): SettingsForm {
  return {
    port: String(s.port),
    upstreams: Object.entries(s.upstreams).map(([name, url]) => ({ name, url })),
    headersS: trimNum(s.timeouts.headersMs / 1000),
    idleS: trimNum(s.timeouts.idleMs / 1000),
    connectS: trimNum(s.timeouts.connectMs / 1000),
    requestBodyKiB: trimNum(s.limits.requestBodyBytes / 1024),
    responseBodyKiB: trimNum(s.limits.responseBodyBytes / 1024),
    textChars: String(s.limits.textChars),
    eventKiB: trimNum(s.limits.eventBytes / 1024),
    eventCount: String(s.limits.eventCount),
    retentionDays: String(s.retentionDays),
    retentionMaxMiB: String(s.retentionMaxMiB),
  };
}

const FIELD_FOR_PATH: Record<string, keyof SettingsForm> = {
  port: 'port',
  'timeouts.headersMs': 'headersS',
  'timeouts.idleMs': 'idleS',
  'timeouts.connectMs': 'connectS',
  'limits.requestBodyBytes': 'requestBodyKiB',
  'limits.responseBodyBytes': 'responseBodyKiB',
  'limits.textChars': 'textChars',
  'limits.eventBytes': 'eventKiB',
  'limits.eventCount': 'eventCount',
  retentionDays: 'retentionDays',
  retentionMaxMiB: 'retentionMaxMiB',
};

/** Minimums in the form's units, for messages that name the unit. */
const FIELD_HINT: Partial<Record<keyof SettingsForm, string>> = {
  port: 'a whole number from 1 to 65535',
  headersS: 'a positive number of seconds (at least 0.001)',
  idleS: 'a positive number of seconds (at least 0.001)',
  connectS: 'a positive number of seconds (at least 0.001)',
  requestBodyKiB: 'at least 1 KiB',
  responseBodyKiB: 'at least 1 KiB',
  textChars: 'a whole number, at least 1024',
  eventKiB: 'at least 1 KiB',
  eventCount: 'a whole number, at least 10',
  retentionDays: 'a whole number of days, 0 keeps everything',
  retentionMaxMiB: 'a whole number of MiB, 0 sets no limit',
};

function parseNumber(text: string): number | null {
  const t = text.trim();
  if (t === '' || !/^-?\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

export type FormResult = { ok: true; value: Settings } | { ok: false; errors: FieldErrors };

export function validateForm(form: SettingsForm): FormResult {
  const errors: FieldErrors = {};
  const num = (key: keyof SettingsForm, scale: number): number => {
    const n = parseNumber(form[key] as string);
    if (n === null) {
      errors[key] = `Enter ${FIELD_HINT[key] ?? 'a number'}.`;
      return NaN;
    }
    return Math.round(n * scale);
  };
  const upstreams: Record<string, string> = {};
  const seen = new Map<string, number>();
  form.upstreams.forEach((row, i) => {
    const name = row.name.trim();
    const url = row.url.trim().replace(/\/+$/, '');
    if (name === '' && url === '') return; // an empty new row is ignored
    if (!UPSTREAM_NAME_PATTERN.test(name)) errors[`upstreams.${i}.name`] = 'Letters, digits, "-" or "_", starting with a letter or digit.';
    else if (RESERVED_UPSTREAM_NAMES.includes(name)) errors[`upstreams.${i}.name`] = `"${name}" is reserved.`;
    else if (seen.has(name.toLowerCase())) errors[`upstreams.${i}.name`] = `"${name}" is listed twice.`;
    seen.set(name.toLowerCase(), i);
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      errors[`upstreams.${i}.url`] = 'Enter a full URL, e.g. https://api.openai.com';
    }
    if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') errors[`upstreams.${i}.url`] = 'Only http and https URLs are supported.';
    upstreams[name] = url;
  });
  const value = {
    port: num('port', 1),
    upstreams,
    timeouts: { headersMs: num('headersS', 1000), idleMs: num('idleS', 1000), connectMs: num('connectS', 1000) },
    limits: {
      requestBodyBytes: num('requestBodyKiB', 1024),
      responseBodyBytes: num('responseBodyKiB', 1024),
      textChars: num('textChars', 1),
      eventBytes: num('eventKiB', 1024),
      eventCount: num('eventCount', 1),
    },
    retentionDays: num('retentionDays', 1),
    retentionMaxMiB: num('retentionMaxMiB', 1),
  };
  // Whole-number fields must not be rounded silently: "7.5 days" is an error, not 8.
  for (const key of ['port', 'textChars', 'eventCount', 'retentionDays', 'retentionMaxMiB'] as const) {
    if (!errors[key] && !Number.isInteger(Number(form[key].trim()))) errors[key] = `Enter ${FIELD_HINT[key]}.`;
  }
  const parsed = SettingsSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.');
      const field = FIELD_FOR_PATH[path];
      if (field) {
        errors[field] ??= `Enter ${FIELD_HINT[field] ?? 'a valid value'}.`;
      } else if (path.startsWith('upstreams.')) {
        const name = path.slice('upstreams.'.length);
        const i = form.upstreams.findIndex((r) => r.name.trim() === name);
        errors[`upstreams.${Math.max(0, i)}.url`] ??= issue.message;
      } else {
        errors['form'] ??= `${path || 'settings'}: ${issue.message}`;
      }
    }
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: parsed.success ? parsed.data : (value as Settings) };
}

// Where Streamtap keeps its data, and the settings file. The data folder is the same
// one Electron's app.getPath('userData') gives for an app named "Streamtap", so the
// desktop app, the headless server and the CLI read and write the same database.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SettingsFileSchema, type SettingsFile } from '../common/settings.js';
import { ConfigError, validateUpstream, withoutUserinfo, type ConfigInput } from './config.js';

export const APP_NAME = 'Streamtap';
export const DB_FILE = 'streamtap.db';
export const SETTINGS_FILE = 'settings.json';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env['STREAMTAP_DATA_DIR']) return env['STREAMTAP_DATA_DIR'];
  const home = os.homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_NAME);
    case 'win32':
      return path.join(env['APPDATA'] ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
    default:
      return path.join(env['XDG_CONFIG_HOME'] ?? path.join(home, '.config'), APP_NAME);
  }
}


/** Validates settings; the error names the field and what was wrong. */
export function parseSettings(input: unknown, source = 'settings'): SettingsFile {
  const result = SettingsFileSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new ConfigError(`${source}: ${where}: ${issue.message}`);
  }
  for (const [name, url] of Object.entries(result.data.upstreams ?? {})) validateUpstream(name, url);
  return result.data;
}

export function readSettingsFile(file: string): SettingsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // Newer V8s quote the text in the message: keep a URL's password out of it.
    throw new ConfigError(`${file} is not valid JSON: ${withoutUserinfo((err as Error).message)}`);
  }
  return parseSettings(json, file);
}

/** Writes atomically (temp file + rename) so a crash never leaves half a file. */
export function writeSettingsFile(file: string, settings: SettingsFile): void {
  parseSettings(settings, file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(settings, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** The settings as resolveConfig takes them (it fills in the defaults). */
export function settingsToConfig(settings: SettingsFile): Omit<ConfigInput, 'dbPath'> {
  const out: Omit<ConfigInput, 'dbPath'> = {};
  if (settings.port !== undefined) out.port = settings.port;
  if (settings.upstreams) out.upstreams = normalizeUpstreams(settings.upstreams);
  if (settings.timeouts) out.timeouts = settings.timeouts;
  if (settings.limits) out.limits = settings.limits;
  if (settings.retentionDays !== undefined) out.retentionDays = settings.retentionDays;
  if (settings.retentionMaxMiB !== undefined) out.retentionMaxMiB = settings.retentionMaxMiB;
  return out;
}

function normalizeUpstreams(u: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(u).map(([k, v]) => [k, v.replace(/\/+$/, '')]));
}

// The tray icon: Streamtap's always-present face. Its tooltip says where the proxy
// listens, how many requests were recorded today and how many streams are live; its
// menu opens the dashboard, copies the base URLs to paste into an agent's config,
// pauses recording, toggles start-at-login and quits. A problem the user must act on
// (port in use, store degraded) appears as a disabled line at the top of the menu and
// in the tooltip, not only in a log.

import path from 'node:path';
import { app, clipboard, Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import { formatBytes } from '../common/bytes.js';
import type { AppStatus } from '../common/contract.js';
import type { LoginItem } from './login-item.js';

export interface TrayActions {
  openDashboard(): void;
  /** pauses or resumes recording (the proxy keeps forwarding either way) */
  setPaused(paused: boolean): void;
}

export interface TrayOptions {
  /** the resources/ folder with tray.png / trayTemplate.png */
  resourcesDir: string;
  actions: TrayActions;
  /** start at login (offered only where it works: an installed app) */
  loginItem: LoginItem;
  /** the status to show until the first update */
  initialStatus?: AppStatus | null;
  /** tooltip refreshes at most this often (status events can come 4 times a second) */
  tooltipIntervalMs?: number;
  platform?: NodeJS.Platform;
  onError?: (message: string, err?: unknown) => void;
}

export interface TraySnapshot {
  tooltip: string;
  /** the menu's item labels, in order (separators left out) */
  items: string[];
  destroyed: boolean;
}

export interface TrayController {
  /** shows a new status: the menu at once when it changed, the tooltip throttled */
  update(status: AppStatus): void;
  /** what the tray shows now (the real Tray cannot be asked; for the Electron smoke test) */
  snapshot(): TraySnapshot;
  destroy(): void;
}

/** Windows cuts tray tooltips at 127 characters. */
const TOOLTIP_MAX = 127;
const PROBLEM_LABEL_MAX = 90;

export function openAiBaseUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1`;
}

export function anthropicBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function trayTooltip(status: AppStatus | null): string {
  if (!status) return 'Streamtap — starting';
  if (status.problem) return clip(`Streamtap — ${status.problem}`, TOOLTIP_MAX);
  const where = status.listening && status.port !== null ? `127.0.0.1:${status.port}` : 'not listening';
  const requests = `${status.requestsToday} request${status.requestsToday === 1 ? '' : 's'} today`;
  const live = `${status.live} live stream${status.live === 1 ? '' : 's'}`;
  const paused = status.paused ? '\nRecording paused' : '';
  return clip(`Streamtap — ${where}\n${requests} · ${live}\nDatabase ${formatBytes(status.dbBytes)}${paused}`, TOOLTIP_MAX);
}

export interface TrayMenuContext {
  actions: TrayActions;
  openAtLogin: boolean;
  loginSupported: boolean;
  setOpenAtLogin(enabled: boolean): void;
}

export function trayMenuTemplate(status: AppStatus | null, ctx: TrayMenuContext): MenuItemConstructorOptions[] {
  const baseUrl = status?.listening ? status.baseUrl : null;
  const items: MenuItemConstructorOptions[] = [];
  if (status?.problem) {
    items.push({ id: 'problem', label: `⚠ ${clip(status.problem, PROBLEM_LABEL_MAX)}`, enabled: false }, { type: 'separator' });
  }
  items.push(
    { id: 'open', label: 'Open dashboard', click: () => ctx.actions.openDashboard() },
    { type: 'separator' },
    {
      id: 'copy-openai',
      label: baseUrl ? `Copy OpenAI base URL (${openAiBaseUrl(baseUrl)})` : 'Copy OpenAI base URL',
      enabled: baseUrl !== null,
      click: () => {
        if (baseUrl) clipboard.writeText(openAiBaseUrl(baseUrl));
      },
    },
    {
      id: 'copy-anthropic',
      label: baseUrl ? `Copy Anthropic base URL (${anthropicBaseUrl(baseUrl)})` : 'Copy Anthropic base URL',
      enabled: baseUrl !== null,
      click: () => {
        if (baseUrl) clipboard.writeText(anthropicBaseUrl(baseUrl));
      },
    },
    { type: 'separator' },
    {
      id: 'pause',
      label: 'Pause recording',
      type: 'checkbox',
      checked: status?.paused ?? false,
      enabled: status !== null,
      // The checkbox has already flipped when click runs: its new state is the wish.
      click: (item) => ctx.actions.setPaused(item.checked),
    },
  );
  if (ctx.loginSupported) {
    items.push({
      id: 'login',
      label: 'Start at login',
      type: 'checkbox',
      checked: ctx.openAtLogin,
      click: (item) => ctx.setOpenAtLogin(item.checked),
    });
  }
  items.push({ type: 'separator' }, { id: 'quit', label: 'Quit Streamtap', click: () => app.quit() });
  return items;
}

/** The tray image for each platform (drawn by scripts/make-icons.mjs). */
export function trayIconFile(platform: NodeJS.Platform): string {
  // macOS: a black template image the menu bar recolours for light and dark mode.
  // Elsewhere a coloured icon: a black glyph would vanish on a dark panel. Linux panels
  // draw status-notifier icons at 22-24 px, where a 16 px image is blurred or tiny.
  return platform === 'darwin' ? 'trayTemplate.png' : platform === 'win32' ? 'tray.png' : 'tray-24.png';
}

function iconFor(resourcesDir: string, platform: NodeJS.Platform) {
  const file = path.join(resourcesDir, trayIconFile(platform));
  const image = nativeImage.createFromPath(file);
  if (platform === 'darwin') image.setTemplateImage(true);
  return image;
}

export function createTray(opts: TrayOptions): TrayController {
  const platform = opts.platform ?? process.platform;
  const tray = new Tray(iconFor(opts.resourcesDir, platform));
  const intervalMs = opts.tooltipIntervalMs ?? 1000;
  let status: AppStatus | null = opts.initialStatus ?? null;
  let menuKey = '';
  let shown: TraySnapshot = { tooltip: '', items: [], destroyed: false };
  let tooltipTimer: NodeJS.Timeout | null = null;
  let lastTooltipAt = -Infinity;
  let destroyed = false;

  const loginSupported = opts.loginItem.supported;
  const rebuildMenu = (force = false) => {
    const openAtLogin = loginSupported && opts.loginItem.get();
    // Rebuilding a menu that is open closes it on some platforms: only when it changed.
    const key = JSON.stringify([status?.listening, status?.baseUrl, status?.paused, status?.problem, openAtLogin, status === null]);
    if (!force && key === menuKey) return;
    menuKey = key;
    const template = trayMenuTemplate(status, {
      actions: opts.actions,
      openAtLogin,
      loginSupported,
      setOpenAtLogin: (enabled) => {
        try {
          opts.loginItem.set(enabled);
        } catch (err) {
          opts.onError?.('cannot change start at login', err);
        }
        // shows what is really set, also when setting failed
        rebuildMenu(true);
      },
    });
    tray.setContextMenu(Menu.buildFromTemplate(template));
    shown = { ...shown, items: template.flatMap((i) => (i.type === 'separator' ? [] : [i.label ?? ''])) };
  };
  const refreshTooltip = () => {
    tooltipTimer = null;
    if (destroyed) return;
    lastTooltipAt = Date.now();
    const tooltip = trayTooltip(status);
    tray.setToolTip(tooltip);
    shown = { ...shown, tooltip };
  };

  if (platform !== 'darwin') {
    // A left click on Windows and Linux opens the dashboard; macOS shows the menu.
    tray.on('click', () => opts.actions.openDashboard());
  }
  rebuildMenu(true);
  refreshTooltip();

  return {
    update(next) {
      if (destroyed) return;
      status = next;
      rebuildMenu();
      if (tooltipTimer) return;
      const wait = Math.max(0, lastTooltipAt + intervalMs - Date.now());
      if (wait === 0) refreshTooltip();
      else tooltipTimer = setTimeout(refreshTooltip, wait);
    },
    snapshot: () => ({ ...shown, items: [...shown.items], destroyed }),
    destroy() {
      destroyed = true;
      if (tooltipTimer) clearTimeout(tooltipTimer);
      tooltipTimer = null;
      tray.destroy();
    },
  };
}

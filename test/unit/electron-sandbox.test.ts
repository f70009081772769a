// Linux: Chromium's sandbox would abort Electron before the app's code runs, so the
// launcher explains it first. Each case is a system described by its sysctls and the
// ownership and mode of chrome-sandbox.

import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { linuxSandboxProblem } from '../../scripts/electron-setup.mjs';

const BINARY = '/home/u/streamtap/node_modules/electron/dist/electron';
const HELPER = '/home/u/streamtap/node_modules/electron/dist/chrome-sandbox';

interface FakeSystem {
  platform?: NodeJS.Platform;
  uid?: number;
  sysctl?: Record<string, string>;
  helper?: { uid: number; mode: number } | null;
}

function problem(sys: FakeSystem, args: string[] = []): string | null {
  return linuxSandboxProblem({
    binary: BINARY,
    args,
    sys: {
      platform: sys.platform ?? 'linux',
      uid: sys.uid ?? 1000,
      readFile: (p: string) => {
        const name = p.replace('/proc/sys/', '').replace(/\//g, '.');
        return sys.sysctl?.[name] !== undefined ? `${sys.sysctl[name]}\n` : null;
      },
      stat: (p: string) => (p === HELPER ? (sys.helper ?? null) : null),
    },
  });
}

const UBUNTU_24 = { 'kernel.apparmor_restrict_unprivileged_userns': '1' };
const CHECKOUT_HELPER = { uid: 1000, mode: 0o100755 };
const FIXED_HELPER = { uid: 0, mode: 0o104755 };

describe('linuxSandboxProblem', () => {
  it('is fine where user namespaces are allowed (most distributions)', () => {
    expect(problem({ sysctl: { 'kernel.apparmor_restrict_unprivileged_userns': '0' }, helper: CHECKOUT_HELPER })).toBeNull();
    expect(problem({ sysctl: {}, helper: null })).toBeNull();
  });

  it('Ubuntu 23.10+: AppArmor restricts user namespaces and the helper is not setuid root: names the chmod fix', () => {
    const p = problem({ sysctl: UBUNTU_24, helper: CHECKOUT_HELPER });
    expect(p).toContain('kernel.apparmor_restrict_unprivileged_userns=1');
    expect(p).toContain(`sudo chown root:root ${HELPER} && sudo chmod 4755 ${HELPER}`);
    expect(p).toContain('`npm start -- --no-sandbox`');
    expect(p).not.toContain('\n');
  });

  it('is fine once chrome-sandbox is root-owned with mode 4755', () => {
    expect(problem({ sysctl: UBUNTU_24, helper: FIXED_HELPER })).toBeNull();
    // setuid but not root-owned does not count
    expect(problem({ sysctl: UBUNTU_24, helper: { uid: 1000, mode: 0o104755 } })).not.toBeNull();
  });

  it('Debian with user namespaces disabled, helper missing', () => {
    expect(problem({ sysctl: { 'kernel.unprivileged_userns_clone': '0' }, helper: null })).toContain('kernel.unprivileged_userns_clone=0');
  });

  it('root: Chromium refuses its sandbox as root', () => {
    expect(problem({ uid: 0 })).toMatch(/will not run as root/);
  });

  it('--no-sandbox, or another platform: nothing to check', () => {
    expect(problem({ uid: 0, sysctl: UBUNTU_24 }, ['--no-sandbox'])).toBeNull();
    expect(problem({ platform: 'darwin', uid: 0 })).toBeNull();
    expect(problem({ platform: 'win32', sysctl: UBUNTU_24 })).toBeNull();
  });
});

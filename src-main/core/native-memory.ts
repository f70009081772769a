// Memory the C allocator still holds after a burst of traffic, handed back to the
// system when the proxy goes quiet (idle-memory.ts calls this after its collections).
//
// Every Buffer, socket read and compressed log is malloc'd memory. glibc gives freed
// memory back to the system only from the top of its heap, so the holes a burst leaves
// below a block still in use stay resident for the life of the process: measured after
// 2,400 streams and 2,400 whole requests, glibc's main heap held 72 MB of which V8 and
// Node kept under 4 MB live, and the idle Streamtap sat at 206-213 MB. malloc_trim(0)
// returns those free pages of every arena (madvise), not only the top: 210 -> 135 MB.
// On macOS, malloc_zone_pressure_relief does the same for every malloc zone. Neither
// is reachable from JavaScript, so they are called through koffi (a Node-API FFI with
// prebuilt binaries: the same build loads in Node and in Electron). Elsewhere (Windows,
// musl, a koffi that failed to load) nothing is released and nothing breaks.

import { createRequire } from 'node:module';

type Release = () => void;

let release: Release | null | undefined;

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

function bind(platform: NodeJS.Platform): Release | null {
  if (platform !== 'linux' && platform !== 'darwin') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    if (platform === 'linux') {
      // glibc only: musl's libc has no malloc_trim, and loading it throws here.
      const trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
      return () => void trim(0);
    }
    const relief = koffi.load('/usr/lib/libSystem.B.dylib').func('size_t malloc_zone_pressure_relief(void *zone, size_t goal)');
    // zone NULL: every zone; goal 0: as much as it can.
    return () => void relief(null, 0);
  } catch {
    return null;
  }
}

/** Gives the allocator's free pages back to the system; false where that cannot be
 * done on this platform. Takes a few milliseconds after heavy traffic: call it when
 * nothing waits (the idle collector does). */
export function releaseFreedMemory(): boolean {
  if (release === undefined) release = bind(process.platform);
  if (!release) return false;
  try {
    release();
    return true;
  } catch {
    return false;
  }
}

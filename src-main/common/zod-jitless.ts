// Import first, before anything that builds a zod schema, in code that runs under the
// app's Content-Security-Policy (the renderer and the preload). zod 4 decides at schema
// construction whether to compile parsers with `new Function`, probing for it once;
// with no 'unsafe-eval' in script-src Chromium reports that probe as a CSP violation
// (in the console, and to any report handler) even though zod catches the throw.
// Jitless parsing is what runs there anyway. Main and the headless server keep the JIT.

import { z } from 'zod';

z.config({ jitless: true });

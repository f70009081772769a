#!/usr/bin/env node
// `npm run streamtap` runs the built command (out/cli/streamtap.js). Before a build there
// is none, and Node's own "Cannot find module" says nothing about why: say it in one line.
// Runs as npm's prestreamtap step, silent when the build is there.

import fs from 'node:fs';
import path from 'node:path';

const cli = path.resolve(import.meta.dirname, '..', 'out', 'cli', 'streamtap.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('streamtap: not built yet: run "npm run build" first (it builds the command into out/cli/)\n');
  process.exit(1);
}

#!/usr/bin/env node
// The `lexdr` command: TypeScript sources run through tsx, so the CLI works in a checkout with no build step.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// The construct library's package ships compiled constructs, not the CLI's sources.
if (!existsSync(join(__dirname, 'main.ts'))) {
  console.error(
    'lexdr: the CLI runs from a checkout of lexdr (clone it, then `npm ci`), not from the installed construct library.',
  );
  process.exit(2);
}
require('tsx/cjs');
const { main } = require('./main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`lexdr: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  },
);

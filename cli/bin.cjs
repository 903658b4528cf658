#!/usr/bin/env node
// The `lexdr` command: TypeScript sources run through tsx, so the CLI works in a checkout with no build step.
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

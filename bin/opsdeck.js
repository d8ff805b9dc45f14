#!/usr/bin/env node
// The opsdeck executable: a thin door into the compiled CLI (npm run build makes dist/).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`opsdeck: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

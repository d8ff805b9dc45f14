#!/usr/bin/env -S node --max-semi-space-size=1
// The opsdeck executable: a thin door into the bundled CLI (`npm run build` makes dist/opsdeck.mjs).
// The flag keeps V8's young generation small: opsdeck's garbage is small and short-lived, and the
// default lets it grow to ~48 MB of resident memory an idle cockpit never needs (it must be given at
// start-up, hence the shebang; run this file directly rather than with `node bin/opsdeck.js`).
import { main } from '../dist/opsdeck.mjs';

const finish = (code) => {
  // Exit once everything written to stdout/stderr is flushed (pipes are asynchronous), so idle
  // sockets of a finished command never keep the process alive.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
};

main(process.argv).then(finish, (err) => {
  process.stderr.write(`opsdeck: ${err && err.message ? err.message : String(err)}\n`);
  finish(1);
});

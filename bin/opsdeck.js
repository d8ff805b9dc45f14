#!/usr/bin/env node
// The opsdeck executable: a thin door into the bundled CLI (`npm run build` makes dist/opsdeck.mjs).
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

// Bundles the CLI into one ESM file (dist/opsdeck.mjs). Loading ~400 small modules of Ink, React and
// dockerode costs ~430 ms; one bundled file loads in ~150 ms — the difference decides first paint.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/opsdeck.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'none',
  // Native and optional modules stay outside and load from node_modules.
  external: ['better-sqlite3', 'cpu-features', '*.node'],
  // Ink reaches for react-devtools-core only when DEV=true; never in production.
  alias: {
    'react-devtools-core': './scripts/devtools-stub.mjs',
    '@grpc/grpc-js': './scripts/grpc-stub.mjs',
    '@grpc/proto-loader': './scripts/grpc-stub.mjs',
    'is-in-ci': './scripts/not-in-ci.mjs',
    'string-width': './scripts/string-width-cached.mjs',
    ssh2: './scripts/ssh2-lazy.cjs',
  },
  define: { 'process.env.NODE_ENV': '"production"' },
  // CommonJS dependencies (dockerode, ssh2) expect require, __dirname and __filename.
  banner: {
    js: [
      "import { createRequire as __opsdeckRequire } from 'node:module';",
      "import { fileURLToPath as __opsdeckPath } from 'node:url';",
      'const require = __opsdeckRequire(import.meta.url);',
      'const __filename = __opsdeckPath(import.meta.url);',
      "const __dirname = __opsdeckPath(new URL('.', import.meta.url));",
    ].join(' '),
  },
  logLevel: 'warning',
});

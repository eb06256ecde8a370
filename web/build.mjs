// Bundles and minifies the UI into an output folder (index.html, static/app.js,
// static/app.css), which CMake embeds into the tally binary (server/ui/).
//   node build.mjs --out DIR [--modules NODE_MODULES_DIR]
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const out = opt('--out', join(here, 'dist'));
const modules = opt('--modules', join(here, 'node_modules'));
// esbuild comes from the npm ci folder, which CMake keeps in the build tree.
const { build } = createRequire(join(modules, 'noop.js'))('esbuild');

mkdirSync(join(out, 'static'), { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outfile: join(out, 'static', 'app.js'),
  nodePaths: [modules],
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src', 'index.html'), join(out, 'index.html'));

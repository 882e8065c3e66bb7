// `npm run build:playground`: bundles GraphiQL (lib/gateway/playground) into files the gateways serve.
// `npm run generate` calls buildPlaygroundIfStale, so `npm start` and `npm test` build it on a fresh clone.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT_DIR } from '../lib/composition.ts';
import { PLAYGROUND_DIST_DIR, PLAYGROUND_SOURCE_DIR } from '../lib/gateway/playground/paths.ts';

function newestSourceMtime(): number {
  const sources = readdirSync(PLAYGROUND_SOURCE_DIR, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(PLAYGROUND_SOURCE_DIR, entry.name));
  // The lock file stands for the versions of graphiql, react and vite that went into the bundle.
  return Math.max(...[...sources, join(ROOT_DIR, 'package-lock.json')].map((file) => statSync(file).mtimeMs));
}

export function playgroundIsStale(): boolean {
  const output = join(PLAYGROUND_DIST_DIR, 'index.html');
  return !existsSync(output) || statSync(output).mtimeMs < newestSourceMtime();
}

function directoryBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

export async function buildPlayground(): Promise<void> {
  const started = performance.now();
  // Imported here so that processes which only serve the page never load vite.
  const { build } = await import('vite');
  await build({ configFile: join(PLAYGROUND_SOURCE_DIR, 'vite.config.ts') });
  const megabytes = (directoryBytes(PLAYGROUND_DIST_DIR) / 1024 / 1024).toFixed(1);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Built the playground into ${relative(ROOT_DIR, PLAYGROUND_DIST_DIR)} (${megabytes} MB) in ${seconds} s`);
}

export async function buildPlaygroundIfStale(): Promise<void> {
  if (playgroundIsStale()) await buildPlayground();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildPlayground();

// `npm run generate`: one Prisma client per service, resolver types for every subgraph, the
// playground's bundle, then the servers' bundles.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '../lib/composition.ts';
import { SUBGRAPH_NAMES } from '../lib/services.ts';
import { buildPlaygroundIfStale } from './build-playground.ts';
import { buildServers } from './build-servers.ts';

/**
 * `prisma generate` needs no schema engine, yet the CLI insists on finding or downloading one, and
 * nothing can be downloaded here. When the real engine is absent we point it at an empty stand-in,
 * only for this command (see STACK.md: never for `migrate`, which would then do nothing and exit 0).
 */
function prismaEnv(): NodeJS.ProcessEnv {
  if (process.env.PRISMA_SCHEMA_ENGINE_BINARY) return process.env;
  const enginesDir = join(ROOT_DIR, 'node_modules/@prisma/engines');
  const hasEngine = existsSync(enginesDir) && readdirSync(enginesDir).some((f) => f.startsWith('schema-engine'));
  if (hasEngine) return process.env;
  const standIn = join(ROOT_DIR, 'node_modules/.cache/prisma-generate-only-engine');
  mkdirSync(join(standIn, '..'), { recursive: true });
  writeFileSync(standIn, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  return { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: standIn, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
}

/** `node <args>` in the repository, its stderr passed through; rejects on a non-zero exit. */
function runNode(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdout?: 'ignore' | 'inherit' } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT_DIR,
      env: options.env ?? process.env,
      stdio: ['ignore', options.stdout ?? 'ignore', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} exited with ${signal ?? code}`)),
    );
  });
}

// The steps are independent of each other but for the last: the six Prisma clients, the resolver
// types and the playground's bundle all at once, each a process (or vite's own threads) of its own,
// so both cores work instead of one step after the other; then the servers' bundles, which import
// the generated code.
const env = prismaEnv();
const prismaCli = join(ROOT_DIR, 'node_modules/prisma/build/index.js');
await Promise.all([
  Promise.all([
    ...SUBGRAPH_NAMES.map((name) =>
      runNode([prismaCli, 'generate', '--schema', `prisma/${name}/schema.prisma`], { env }),
    ),
    runNode([join(ROOT_DIR, 'node_modules/@graphql-codegen/cli/esm/bin.js'), '--config', 'codegen.ts', '--silent'], {
      stdout: 'inherit',
    }),
  ]).then(() => console.log(`Generated Prisma clients and resolver types for ${SUBGRAPH_NAMES.length} subgraphs`)),
  // Rebuilt only when missing or older than its sources.
  buildPlaygroundIfStale(),
]);

// The servers' entry points, bundled for plain Node (lib/prebuilt.ts), after the generated code they import.
await buildServers();

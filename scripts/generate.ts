// `npm run generate`: one Prisma client per service, then resolver types for every subgraph.
import { execFileSync } from 'node:child_process';
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

const env = prismaEnv();
const prismaCli = join(ROOT_DIR, 'node_modules/prisma/build/index.js');
for (const name of SUBGRAPH_NAMES) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', `prisma/${name}/schema.prisma`], {
    cwd: ROOT_DIR,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
execFileSync(
  process.execPath,
  [join(ROOT_DIR, 'node_modules/@graphql-codegen/cli/esm/bin.js'), '--config', 'codegen.ts', '--silent'],
  { cwd: ROOT_DIR, stdio: 'inherit' },
);
console.log(`Generated Prisma clients and resolver types for ${SUBGRAPH_NAMES.length} subgraphs`);

// The gateways' playground bundle, rebuilt only when missing or older than its sources.
await buildPlaygroundIfStale();

// The servers' entry points, bundled for plain Node (lib/prebuilt.ts), after the generated code they import.
await buildServers();

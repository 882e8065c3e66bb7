// How to run a server entry point (a subgraph's or a gateway's src/index.ts) as a process: its
// prebuilt bundle under .build/servers when `npm run generate` wrote one that is newer than every
// source file that went into it, else the TypeScript source through tsx. The bundle is the same code
// (esbuild, the transform tsx itself uses), loaded by plain Node: tsx's loader hooks, which see every
// import of Apollo, graphql and Prisma, cost a process about as much CPU as loading them.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from './composition.ts';

export const PREBUILT_DIR = join(ROOT_DIR, '.build/servers');
export const PREBUILT_MANIFEST = join(PREBUILT_DIR, 'manifest.json');

/** What scripts/build-servers.ts writes beside the bundles. */
export interface PrebuiltManifest {
  /** When the build started: a source modified after it makes its bundle stale. */
  builtAtMs: number;
  /** Entry (relative to the repository root, `subgraphs/users/src/index.ts`) to its bundle and inputs. */
  entries: Record<string, { bundle: string; inputs: string[] }>;
}

/** `entry`'s bundle (absolute path) when it exists and no input changed since the build, else null. */
export function prebuiltBundle(entry: string): string | null {
  if (process.env.PREBUILT_SERVERS === 'false' || !existsSync(PREBUILT_MANIFEST)) return null;
  let manifest: PrebuiltManifest;
  try {
    manifest = JSON.parse(readFileSync(PREBUILT_MANIFEST, 'utf8')) as PrebuiltManifest;
  } catch {
    return null;
  }
  const built = manifest.entries[entry];
  if (!built) return null;
  const bundle = join(ROOT_DIR, built.bundle);
  if (!existsSync(bundle)) return null;
  for (const input of built.inputs) {
    try {
      if (statSync(join(ROOT_DIR, input)).mtimeMs > manifest.builtAtMs) return null;
    } catch {
      return null; // a source deleted since the build
    }
  }
  return bundle;
}

/** Node's arguments for running `entry`: its fresh bundle, or the source through tsx. */
export function entryNodeArgs(entry: string): string[] {
  const bundle = prebuiltBundle(entry);
  return bundle ? [bundle] : ['--import', 'tsx', entry];
}

// A freshly initialised PGlite cluster (what its initdb writes before any database has a table), kept
// as a tarball under .build so that a new embedded database is unpacked from it instead of running
// initdb again: initdb costs about 4.5 CPU-s per database on this machine (six at every `npm start`
// on a bare machine), unpacking the tarball under 1. The tarball depends on nothing but PGlite's
// version, which names it.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

/** PGlite's version, from its package.json (which its exports do not list): beside its dist/ entry. */
const pgliteVersion = (
  JSON.parse(
    readFileSync(
      join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '../package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;

export const PGLITE_TEMPLATE = join(
  fileURLToPath(new URL('../../.build/pglite', import.meta.url)),
  `fresh-cluster-${pgliteVersion}.tar`,
);

/** Whether `dataDir` holds no cluster yet (PGlite would run initdb there). */
export function isFreshDataDir(dataDir: string): boolean {
  return !existsSync(join(dataDir, 'PG_VERSION'));
}

/** The template tarball when one was made, else null (the caller runs initdb as PGlite does by default). */
export async function readPgliteTemplate(): Promise<Blob | null> {
  try {
    return new Blob([await readFile(PGLITE_TEMPLATE)]);
  } catch {
    return null;
  }
}

/**
 * The template, made now (one initdb, in memory) when missing. Written under a name of this process's
 * own and renamed into place, so processes that make it at once never read a half-written file.
 */
export async function ensurePgliteTemplate(): Promise<Blob> {
  const existing = await readPgliteTemplate();
  if (existing) return existing;
  const db = await PGlite.create();
  let dump: Blob;
  try {
    dump = await db.dumpDataDir('none');
  } finally {
    await db.close();
  }
  await mkdir(join(PGLITE_TEMPLATE, '..'), { recursive: true });
  const partial = `${PGLITE_TEMPLATE}.${process.pid}.partial`;
  try {
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, PGLITE_TEMPLATE);
  } finally {
    await rm(partial, { force: true });
  }
  return dump;
}

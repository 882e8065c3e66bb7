import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SchemaCheckSetupError, SUPERGRAPH_TARGETS, type SupergraphTarget } from './types.ts';
import { supergraphFile } from './workspace.ts';

const run = promisify(execFile);

/**
 * Where the breaking-change check finds the previous supergraphs: a git ref (the usual CI case: the
 * branch a pull request targets), a directory (a copy of the repository or of its `schema/` folder,
 * for CI without history), or one file per supergraph.
 */
export type BaseSpec =
  | { kind: 'git'; ref: string }
  | { kind: 'dir'; dir: string }
  | { kind: 'files'; files: Partial<Record<SupergraphTarget, string>> };

export interface Baseline {
  description: string;
  supergraphs: Map<SupergraphTarget, string>;
  /** Supergraphs with no base version, and why; only present when missing bases were allowed. */
  missing: { target: SupergraphTarget; reason: string }[];
}

export function describeBase(spec: BaseSpec): string {
  switch (spec.kind) {
    case 'git':
      return `git ref ${spec.ref}`;
    case 'dir':
      return `directory ${spec.dir}`;
    case 'files':
      return `files ${Object.entries(spec.files)
        .map(([target, file]) => `${target}=${file}`)
        .join(', ')}`;
  }
}

function errorText(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    'stderr' in error &&
    typeof error.stderr === 'string' &&
    error.stderr.trim()
  ) {
    return error.stderr.trim().split('\n')[0] ?? '';
  }
  return error instanceof Error ? error.message : String(error);
}

async function git(root: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', ['-C', root, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') {
      throw new SchemaCheckSetupError(
        'git is not installed (or not on PATH): it is needed to read the base supergraphs; pass --base-dir or --base-file instead',
      );
    }
    throw error;
  }
}

type Lookup = { sdl: string } | { missing: string };

async function fromGit(
  root: string,
  ref: string,
): Promise<{ description: string; lookups: Map<SupergraphTarget, Lookup> }> {
  let commit: string;
  try {
    commit = (await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch (error) {
    if (error instanceof SchemaCheckSetupError) throw error;
    const reason = `base ref ${ref} does not exist in ${root}${errorText(error) ? ` (${errorText(error)})` : ''}`;
    return {
      description: `git ref ${ref} (missing)`,
      lookups: new Map(SUPERGRAPH_TARGETS.map((t) => [t, { missing: reason }])),
    };
  }
  const lookups = new Map<SupergraphTarget, Lookup>();
  for (const target of SUPERGRAPH_TARGETS) {
    const file = supergraphFile(target);
    try {
      // `./` makes the path relative to `root`, which need not be the top of the work tree.
      lookups.set(target, { sdl: await git(root, ['show', `${commit}:./${file}`]) });
    } catch (error) {
      if (error instanceof SchemaCheckSetupError) throw error;
      lookups.set(target, { missing: `${file} does not exist at ${ref}` });
    }
  }
  return { description: `git ref ${ref} (${commit.slice(0, 12)})`, lookups };
}

async function readLookup(paths: string[]): Promise<Lookup> {
  for (const path of paths) {
    try {
      return { sdl: await readFile(path, 'utf8') };
    } catch (error) {
      if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT')) {
        throw new SchemaCheckSetupError(`cannot read base file ${path}: ${errorText(error)}`);
      }
    }
  }
  return { missing: `${paths.join(' or ')} does not exist` };
}

async function lookupAll(
  spec: BaseSpec,
  root: string,
): Promise<{ description: string; lookups: Map<SupergraphTarget, Lookup> }> {
  if (spec.kind === 'git') return fromGit(root, spec.ref);
  const lookups = new Map<SupergraphTarget, Lookup>();
  for (const target of SUPERGRAPH_TARGETS) {
    if (spec.kind === 'dir') {
      const dir = resolve(spec.dir);
      const file = supergraphFile(target);
      lookups.set(target, await readLookup([join(dir, file), join(dir, basename(file))]));
    } else {
      const file = spec.files[target];
      lookups.set(
        target,
        file ? await readLookup([resolve(file)]) : { missing: `no --base-file given for the ${target} supergraph` },
      );
    }
  }
  return { description: describeBase(spec), lookups };
}

/**
 * Reads every base supergraph. A missing one is an error (exit 2) unless `allowMissing`: a typo in
 * a ref must not pass as "nothing to compare, no breaking changes".
 */
export async function loadBaseline(root: string, spec: BaseSpec, allowMissing: boolean): Promise<Baseline> {
  const { description, lookups } = await lookupAll(spec, root);
  const supergraphs = new Map<SupergraphTarget, string>();
  const missing: Baseline['missing'] = [];
  for (const [target, lookup] of lookups) {
    if ('sdl' in lookup) supergraphs.set(target, lookup.sdl);
    else missing.push({ target, reason: lookup.missing });
  }
  if (missing.length && !allowMissing) {
    const reasons = [...new Set(missing.map((m) => m.reason))];
    throw new SchemaCheckSetupError(
      `no baseline: ${reasons.join('; ')} (pass --allow-missing-base to check without one)`,
    );
  }
  return { description, supergraphs, missing };
}

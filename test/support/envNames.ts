// The environment variables the code reads, found by reading the code, so a deploy file setting a
// variable nothing reads (a typo, a renamed knob) fails a test. A file counts when it reads the
// environment at all (`process.env`, a `NodeJS.ProcessEnv` parameter); in it, `env.NAME`,
// `env['NAME']`, quoted `'NAME'` strings and `NAME:` keys (zod shapes) are names read, and template
// names such as `${service.toUpperCase()}_DATABASE_URL` become one name per process prefix.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT_DIR } from '../../lib/composition.ts';
import { PROCESS_NAMES } from '../../lib/processes.ts';

/**
 * Read by libraries rather than by our code: the OpenTelemetry SDK reads the standard `OTEL_*`
 * variables itself. Anything our code reads (METRICS_PORT, METRICS_TOKEN ...) is found by the scan.
 */
export const EXTERNALLY_READ = {
  exact: new Set<string>(),
  patterns: [/^OTEL_[A-Z0-9_]+$/],
};

const SOURCE_ROOTS = ['lib', 'subgraphs', 'gateway-web', 'gateway-mobile', 'scripts', 'deploy'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === '__generated__' || entry === 'test' || entry === 'dist') continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mjs)$/.test(entry) && !entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

export interface EnvNamesRead {
  exact: Set<string>;
  /** Where each exact name was found (first file), for messages. */
  where: Map<string, string>;
}

const PREFIXES = PROCESS_NAMES.map((name) => name.toUpperCase().replace('-', '_'));

export function envNamesReadByCode(): EnvNamesRead {
  const exact = new Set<string>();
  const where = new Map<string, string>();
  const add = (name: string, file: string) => {
    exact.add(name);
    if (!where.has(name)) where.set(name, relative(ROOT_DIR, file));
  };
  for (const root of SOURCE_ROOTS) {
    for (const file of sourceFiles(join(ROOT_DIR, root))) {
      const text = readFileSync(file, 'utf8');
      if (!/process\.env|ProcessEnv/.test(text)) continue;
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) add(m[1]!, file);
      for (const m of text.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)) add(m[1]!, file);
      for (const m of text.matchAll(/['"]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"]/g)) add(m[1]!, file);
      for (const m of text.matchAll(/^\s*([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+):/gm)) add(m[1]!, file);
      // `${name.toUpperCase()}_DATABASE_URL`, `${prefix}_POLICY`, `${urlVariable(name)}S` ...
      for (const m of text.matchAll(/\}_([A-Z][A-Z0-9_]*)`/g))
        for (const prefix of PREFIXES) add(`${prefix}_${m[1]!}`, file);
      if (/\$\{urlVariable\([^)]*\)\}S`/.test(text)) for (const prefix of PREFIXES) add(`${prefix}_URLS`, file);
    }
  }
  // lib/services.ts names the per-process variables (`${...}_PORT`, `${...}_URL`) without reading env.
  const services = readFileSync(join(ROOT_DIR, 'lib/services.ts'), 'utf8');
  for (const m of services.matchAll(/\}_([A-Z]+)`/g))
    for (const prefix of PREFIXES) add(`${prefix}_${m[1]!}`, 'lib/services.ts');
  return { exact, where };
}

export function isReadByCode(name: string, read: EnvNamesRead): boolean {
  return read.exact.has(name) || EXTERNALLY_READ.exact.has(name) || EXTERNALLY_READ.patterns.some((p) => p.test(name));
}

// `npm run generate` ends here: every subgraph's and gateway's entry point (and the bench's targets) bundled by esbuild into
// .build/servers (gitignored), with a manifest of the sources each bundle holds. `npm start`, the
// tests' server processes and the bench run a bundle with plain Node while it is newer than all of
// its sources (lib/prebuilt.ts), and the TypeScript source through tsx otherwise: a process then
// starts with about half the CPU, tsx's loader hooks no longer seeing every package import.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { ROOT_DIR } from '../lib/composition.ts';
import { PREBUILT_DIR, PREBUILT_MANIFEST, type PrebuiltManifest } from '../lib/prebuilt.ts';
import { PROCESS_NAMES, processEntry } from '../lib/processes.ts';

/**
 * Each source keeps its own `import.meta.url` (the repository's paths are found from it: ROOT_DIR,
 * migrations, operations, the playground), not the bundle's.
 */
const ownImportMeta: Plugin = {
  name: 'own-import-meta',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const url = pathToFileURL(args.path).href;
      const contents = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.url', JSON.stringify(url))
        .replaceAll('import.meta.filename', JSON.stringify(args.path))
        .replaceAll('import.meta.dirname', JSON.stringify(fileURLToPath(new URL('.', url)).replace(/\/$/, '')));
      return { contents, loader: 'ts' };
    });
  },
};

/** The bench's own processes (bench/ipc.ts forks them) and Hive Gateway's config (bench/run.ts). */
const BENCH_TARGETS = ['subgraph', 'bff', 'ours', 'stock', 'ceiling', 'hive.config'].map(
  (name) => `bench/targets/${name}.ts`,
);

export async function buildServers(): Promise<void> {
  const started = Date.now();
  rmSync(PREBUILT_DIR, { recursive: true, force: true });
  mkdirSync(PREBUILT_DIR, { recursive: true });
  const entries = [...PROCESS_NAMES.map(processEntry), ...BENCH_TARGETS];
  const result = await build({
    absWorkingDir: ROOT_DIR,
    entryPoints: entries,
    outdir: PREBUILT_DIR,
    outbase: ROOT_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    // Packages load from node_modules as they do under tsx; only the project's own code is bundled.
    packages: 'external',
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [ownImportMeta],
  });
  const manifest: PrebuiltManifest = { builtAtMs: started, entries: {} };
  for (const [output, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    manifest.entries[meta.entryPoint] = {
      bundle: relative(ROOT_DIR, join(ROOT_DIR, output)),
      inputs: Object.keys(meta.inputs),
    };
  }
  const missing = entries.filter((entry) => !manifest.entries[entry]);
  if (missing.length > 0) throw new Error(`esbuild wrote no bundle for ${missing.join(', ')}`);
  writeFileSync(PREBUILT_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(
    `Bundled ${entries.length} server and bench entry points into ${relative(ROOT_DIR, PREBUILT_DIR)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildServers();

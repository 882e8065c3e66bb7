import { defineConfig } from 'vite';
import { PLAYGROUND_ASSET_BASE, PLAYGROUND_DIST_DIR, PLAYGROUND_SOURCE_DIR } from './paths.ts';

// `npm run build:playground` (and `npm run generate` when the output is stale) builds this.
export default defineConfig({
  root: PLAYGROUND_SOURCE_DIR,
  base: PLAYGROUND_ASSET_BASE,
  logLevel: 'warn',
  clearScreen: false,
  build: {
    outDir: PLAYGROUND_DIST_DIR,
    emptyOutDir: true,
    // Every asset is a file of our origin, never a data: URI, so the CSP needs no data: sources.
    assetsInlineLimit: 0,
    // Monaco alone is megabytes; the gateway serves it gzipped and cached by hash.
    chunkSizeWarningLimit: 8192,
    reportCompressedSize: false,
    sourcemap: false,
    rolldownOptions: {
      onwarn(warning, warn) {
        // framer-motion's React Server Components markers mean nothing in a client-only bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});

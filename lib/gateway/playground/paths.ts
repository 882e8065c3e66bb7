import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the playground's sources live, where `npm run build:playground` writes, and the URL prefix of its assets. */
export const PLAYGROUND_SOURCE_DIR = fileURLToPath(new URL('.', import.meta.url));
export const PLAYGROUND_DIST_DIR = join(PLAYGROUND_SOURCE_DIR, 'dist');
export const PLAYGROUND_ASSET_BASE = '/playground/';

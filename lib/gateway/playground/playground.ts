import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { operationsDir } from '../paths.ts';
import { sendError, type PageHandler, type RequestUrl } from '../../http/index.ts';
import type { Logger } from '../../observability/index.ts';
import type { GatewayName } from '../../services.ts';
import { PLAYGROUND_ASSET_BASE, PLAYGROUND_DIST_DIR } from './paths.ts';
import {
  PLAYGROUND_SETTINGS_ELEMENT_ID,
  serializePlaygroundSettings,
  type PlaygroundOperation,
  type PlaygroundSettings,
} from './settings.ts';

const gzipAsync = promisify(gzip);

/**
 * Everything the page loads is ours: scripts, workers and styles from this origin, requests only to
 * this origin. Styles need 'unsafe-inline' because Monaco writes <style> elements and React sets
 * style attributes at run time; fonts need data: because GraphiQL's stylesheet embeds its fonts as
 * data: URIs, and images because both stylesheets draw some states (e.g. error squiggles) from data:
 * images. None of these is a request; test/playground.test.ts fails on any CSP violation.
 */
export const PLAYGROUND_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Worth compressing: text. Fonts and images are compressed already or tiny. */
const COMPRESSIBLE = new Set(['.js', '.css', '.svg', '.ttf']);

export interface PlaygroundOptions {
  client: GatewayName;
  /** In production nothing is prefilled, whatever `headers` would give. */
  production: boolean;
  /** Request headers to prefill (a development token), asked for each page so a token is always fresh. */
  headers: () => Record<string, string> | Promise<Record<string, string>>;
  logger: Logger;
  endpoint?: string;
  /** Default `gateway-<client>/operations`: every `*.graphql` file there opens as a tab. */
  operationsDir?: string;
  /** Default: the output of `npm run build:playground`. */
  distDir?: string;
}

interface Asset {
  body: Buffer;
  contentType: string;
  compressible: boolean;
  gzipped?: Promise<Buffer>;
}

/** The tab a newcomer sees first: the client's main query, which runs as is and shows data. */
export const FIRST_PLAYGROUND_TAB = 'Dashboard';

/**
 * Each operation's example variables: those of its budget (`budgets.json` beside the operations),
 * which are values the seeded demo data accepts for the demo user, as CI's contracts replay them.
 */
function exampleVariables(dir: string): Map<string, unknown> {
  const file = join(dir, 'budgets.json');
  if (!existsSync(file)) return new Map();
  const budgets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { variables?: unknown }>;
  return new Map(
    Object.entries(budgets).flatMap(([name, budget]) => (budget.variables ? [[name, budget.variables]] : [])),
  );
}

/**
 * The client's example operations: the main query first, then the others in file-name order, each
 * with its example variables. A missing folder means no examples.
 */
function readPlaygroundOperations(dir: string): PlaygroundOperation[] {
  if (!existsSync(dir)) return [];
  const variables = exampleVariables(dir);
  const operations = readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.graphql'.length);
      const example = variables.get(name);
      return {
        name,
        document: readFileSync(join(dir, file), 'utf8'),
        variables: example === undefined ? '' : JSON.stringify(example, null, 2),
      };
    });
  const first = operations.filter((o) => o.name === FIRST_PLAYGROUND_TAB);
  return [...first, ...operations.filter((o) => o.name !== FIRST_PLAYGROUND_TAB)];
}

function readAssets(assetsDir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(assetsDir)) {
    const contentType = CONTENT_TYPES[extname(file)];
    if (contentType)
      assets.set(file, {
        body: readFileSync(join(assetsDir, file)),
        contentType,
        compressible: COMPRESSIBLE.has(extname(file)),
      });
  }
  return assets;
}

function acceptsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

function acceptsGzip(req: IncomingMessage): boolean {
  const value = req.headers['accept-encoding'];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).includes('gzip');
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', PLAYGROUND_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}

/**
 * GraphiQL at `GET /` and at `GET /graphql` for a browser (its Accept names text/html and it sends no
 * `query`), with its hashed assets under /playground/assets/. Other requests pass through.
 */
export function createPlayground(options: PlaygroundOptions): PageHandler {
  const distDir = options.distDir ?? PLAYGROUND_DIST_DIR;
  const indexPath = join(distDir, 'index.html');
  const settings: Omit<PlaygroundSettings, 'headers'> = {
    title: `gateway-${options.client}`,
    endpoint: options.endpoint ?? '/graphql',
    operations: readPlaygroundOperations(options.operationsDir ?? operationsDir(options.client)),
  };

  // A gateway without the built page still serves GraphQL; the page says how to build it.
  if (!existsSync(indexPath)) {
    options.logger.warn({ distDir }, 'playground not built: run `npm run build:playground`');
    return (req, res, url) => {
      if (!isPageRequest(req, url) && !url.pathname.startsWith(PLAYGROUND_ASSET_BASE)) return false;
      res.statusCode = 503;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('The playground is not built: run `npm run build:playground`\n');
      return true;
    };
  }

  const html = readFileSync(indexPath, 'utf8');
  const page = async (): Promise<string> => {
    const headers = options.production ? {} : await options.headers();
    const element = `<script type="application/json" id="${PLAYGROUND_SETTINGS_ELEMENT_ID}">${serializePlaygroundSettings({ ...settings, headers })}</script>`;
    // A function replacement: `$&` or `$'` in an operation's text must not be read as patterns.
    return html.replace('</head>', () => `${element}\n  </head>`);
  };
  const assets = readAssets(join(distDir, 'assets'));
  const assetPrefix = `${PLAYGROUND_ASSET_BASE}assets/`;

  return async (req, res, url) => {
    if (isPageRequest(req, url)) {
      securityHeaders(res);
      res.statusCode = 200;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      // The page may carry a development token: never cached, never stored by a proxy.
      res.setHeader('cache-control', 'no-store');
      res.end(req.method === 'HEAD' ? undefined : await page());
      return true;
    }
    if (!url.pathname.startsWith(PLAYGROUND_ASSET_BASE)) return false;
    const asset =
      isReadMethod(req) && url.pathname.startsWith(assetPrefix)
        ? assets.get(url.pathname.slice(assetPrefix.length))
        : undefined;
    if (!asset) {
      sendError(res, 'NOT_FOUND', `No route for ${url.pathname}`);
      return true;
    }
    await sendAsset(req, res, asset);
    return true;
  };
}

function isReadMethod(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

function isPageRequest(req: IncomingMessage, url: RequestUrl): boolean {
  if (!isReadMethod(req)) return false;
  if (url.pathname === '/') return true;
  return url.pathname === '/graphql' && acceptsHtml(req) && !url.searchParams.has('query');
}

async function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): Promise<void> {
  securityHeaders(res);
  res.statusCode = 200;
  res.setHeader('content-type', asset.contentType);
  // File names carry a content hash, so a given URL never changes.
  res.setHeader('cache-control', 'public, max-age=31536000, immutable');
  res.setHeader('vary', 'accept-encoding');
  let body = asset.body;
  if (asset.compressible && acceptsGzip(req)) {
    // Compressed once, on first request: Monaco is megabytes, gzip a quarter of that.
    asset.gzipped ??= gzipAsync(asset.body);
    body = await asset.gzipped;
    res.setHeader('content-encoding', 'gzip');
  }
  res.setHeader('content-length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

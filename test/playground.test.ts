// The offline playground: GraphiQL served by a gateway over real subgraphs, driven in Debian's
// headless Chromium. It runs the client's example operations (the dashboard with the prefilled
// development token), shows real data, and never sends a request anywhere but the gateway's origin.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../lib/composition.ts';
import { createPlayground, PLAYGROUND_CSP } from '../lib/gateway/playground/index.ts';
import {
  parsePlaygroundSettings,
  PLAYGROUND_SETTINGS_ELEMENT_ID,
  type PlaygroundSettings,
} from '../lib/gateway/playground/settings.ts';
import type { RunningServer } from '../lib/http/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { DEMO_CANCELLABLE_ORDER_ID } from '../lib/seed/index.ts';
import { buildPlaygroundIfStale } from '../scripts/build-playground.ts';
import { postGraphQL, startTestGateway } from './support/gateway.ts';
import { uniquePrefix } from './support/databases.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPORTS_DIR = join(ROOT_DIR, 'reports');
const operation = (name: string) =>
  readFileSync(join(ROOT_DIR, 'gateway-web', 'operations', `${name}.graphql`), 'utf8');

let fleet: SubgraphFleet;
let gateway: RunningServer;
let origin: string;
let browserContext: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  // A missing browser is a broken machine, not a reason to skip: .ci/run installs it.
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`,
    );
  }
  await buildPlaygroundIfStale();
  // Its own databases: pressing Run on every tab runs the example mutations (AddReview, UpdateProfile...).
  fleet = await startSubgraphs(uniquePrefix('playground'));
  gateway = await startTestGateway(fleet.urls);
  origin = new URL(gateway.url).origin;
  userDataDir = mkdtempSync(join(tmpdir(), 'playground-chromium-'));
  browserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    viewport: { width: 1400, height: 900 },
  });
});

afterAll(async () => {
  await browserContext?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await gateway?.close();
  await fleet?.close();
});

function settingsOf(html: string): PlaygroundSettings {
  const match = new RegExp(
    `<script type="application/json" id="${PLAYGROUND_SETTINGS_ELEMENT_ID}">(.*?)</script>`,
    's',
  ).exec(html);
  if (!match?.[1]) throw new Error('The page carries no playground settings');
  return parsePlaygroundSettings(match[1]);
}

describe('serving', () => {
  it('serves the page at / and to browsers at /graphql, with a strict CSP, and leaves GraphQL to clients', async () => {
    for (const [path, accept] of [
      ['/', '*/*'],
      ['/graphql', 'text/html,application/xhtml+xml,*/*;q=0.8'],
    ] as const) {
      const response = await fetch(`${origin}${path}`, { headers: { accept } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(PLAYGROUND_CSP);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const settings = settingsOf(await response.text());
      expect(settings.endpoint).toBe('/graphql');
      expect(settings.operations.map((o) => o.name)).toEqual(expect.arrayContaining(['Catalog', 'Dashboard']));
      expect(Object.keys(settings.headers)).toEqual(['authorization']);
      expect(settings.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    }

    const json = await fetch(`${origin}/graphql`, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).not.toMatch(/text\/html/);
    const answer = await postGraphQL(gateway.url, '{ __typename }');
    expect(answer.body.data).toEqual({ __typename: 'Query' });
  });

  it('serves hashed assets compressed and cached for good, and 404s unknown ones', async () => {
    const html = await (await fetch(`${origin}/`)).text();
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/playground\/assets\/index-[\w-]+\.js$/);
    const asset = await fetch(`${origin}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await asset.text()).length).toBeGreaterThan(100_000);

    const missing = await fetch(`${origin}/playground/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
  });

  it('is off on subgraphs', async () => {
    const subgraphOrigin = new URL(fleet.urls.products).origin;
    expect((await fetch(`${subgraphOrigin}/`, { headers: { accept: 'text/html' } })).status).toBe(404);
    expect(
      (await fetch(`${subgraphOrigin}/graphql`, { headers: { accept: 'text/html' } })).headers.get('content-type'),
    ).not.toMatch(/text\/html/);
  });

  it('never prefills headers in production', async () => {
    const pageSettings = async (production: boolean): Promise<PlaygroundSettings> => {
      const handler = createPlayground({
        client: 'web',
        production,
        headers: () => ({ authorization: 'Bearer development-token' }),
        logger: silentLogger(),
      });
      const server: Server = createServer(
        (req, res) => void handler(req, res, new URL(req.url ?? '/', 'http://localhost')),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        return settingsOf(await (await fetch(`http://127.0.0.1:${port}/`)).text());
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    };
    expect((await pageSettings(false)).headers).toEqual({ authorization: 'Bearer development-token' });
    expect((await pageSettings(true)).headers).toEqual({});
  });
});

/** What an editor shows; Monaco renders spaces as no-break spaces. */
async function editorText(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');
}

/** Opens a tab by its operation's name, runs it, and waits until the result pane shows `expected`. */
async function runInPage(page: Page, name: string, expected: string): Promise<void> {
  const tab = page.getByRole('tab', { name });
  await tab.click();
  // Run only once the tab's operation is in the editor, else the previous tab's would run again.
  await expect.poll(() => tab.getAttribute('aria-selected'), { timeout: 10_000 }).toBe('true');
  await expect.poll(() => editorText(page, '.graphiql-query-editor'), { timeout: 10_000 }).toContain(`query ${name}`);
  await page.locator('.graphiql-execute-button').click();
  await expect.poll(() => editorText(page, '.graphiql-response'), { timeout: 20_000 }).toContain(expected);
}

describe('in a browser', () => {
  it('runs the example operations, the dashboard with the prefilled token, and requests nothing outside the origin', async () => {
    const { headers } = settingsOf(await (await fetch(`${origin}/`)).text());
    const catalog = await postGraphQL(gateway.url, operation('Catalog'));
    const firstProduct = (catalog.body.data?.products as { edges: Array<{ node: { name: string } }> }).edges[0]?.node
      .name;
    const dashboard = await postGraphQL(gateway.url, operation('Dashboard'), {}, headers);
    const demoUser = (dashboard.body.data?.dashboard as { user: { name: string } } | undefined)?.user.name;
    expect(catalog.body.errors).toBeUndefined();
    expect(dashboard.body.errors).toBeUndefined();
    expect(firstProduct).toEqual(expect.any(String));
    expect(demoUser).toEqual(expect.any(String));

    const requests: string[] = [];
    const problems: string[] = [];
    browserContext.on('request', (request) => requests.push(request.url()));
    mkdirSync(REPORTS_DIR, { recursive: true });
    const page = await browserContext.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    try {
      await page.goto(`${origin}/`, { waitUntil: 'load' });
      // The prefilled token is in the headers editor, as a developer sees it.
      await expect
        .poll(() => editorText(page, '.graphiql-editor-tool'), { timeout: 15_000 })
        .toContain('"authorization": "Bearer ');
      await runInPage(page, 'Catalog', `"name": "${firstProduct}"`);
      await runInPage(page, 'Dashboard', `"name": "${demoUser}"`);
    } finally {
      // Taken on failure too: the picture of what went wrong.
      await page.screenshot({ path: join(REPORTS_DIR, 'playground-web.png') });
      await page.close();
      writeFileSync(join(REPORTS_DIR, 'playground-web-requests.txt'), `${requests.join('\n')}\n`);
    }

    expect(problems).toEqual([]);
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    // The schema and both answers came from this gateway's /graphql.
    expect(requests.filter((url) => url === `${origin}/graphql`).length).toBeGreaterThanOrEqual(3);
  });
});

/**
 * The order a newcomer would run the tabs in: browse, fill the cart, check out, look, review, then
 * change one's mind about the demo user's order placed through checkout (the seed's).
 */
const TAB_FLOW = [
  'Dashboard',
  'Catalog',
  'Product',
  'Cart',
  'AddToCart',
  'UpdateCartItem',
  'RemoveFromCart',
  'AddToCart',
  'Checkout',
  'OrderStatus',
  'AddReview',
  'UpdateProfile',
  'CancelOrder',
];

interface OrderProgress {
  id: string;
  status: string;
  statusReason?: string | null;
  payment?: { status: string } | null;
  cancellation: { state: string; steps?: Array<{ name: string; status: string }> } | null;
}

describe.each(['web', 'mobile'] as const)('opening gateway-%s', (client) => {
  let target: RunningServer;
  let targetOrigin: string;

  beforeAll(async () => {
    target = client === 'web' ? gateway : await startTestGateway(fleet.urls, { name: client });
    targetOrigin = new URL(target.url).origin;
  });
  afterAll(async () => {
    if (client !== 'web') await target?.close();
  });

  it('opens on Dashboard, and pressing Run at once shows the demo user', async () => {
    const settings = settingsOf(await (await fetch(`${targetOrigin}/`)).text());
    expect(settings.operations[0]?.name).toBe('Dashboard');
    const dashboard = await postGraphQL(
      target.url,
      settings.operations[0]!.document,
      JSON.parse(settings.operations[0]!.variables || '{}') as Record<string, unknown>,
      settings.headers,
    );
    const demoUser = (dashboard.body.data?.dashboard as { user: { name: string } } | undefined)?.user.name;
    expect(demoUser).toEqual(expect.any(String));

    const page = await browserContext.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    try {
      await page.goto(`${targetOrigin}/`, { waitUntil: 'load' });
      // No tab clicked, nothing typed: the first tab is the one that opened.
      await expect
        .poll(() => editorText(page, '.graphiql-query-editor'), { timeout: 20_000 })
        .toContain('query Dashboard');
      await expect
        .poll(() => editorText(page, '.graphiql-editor-tool'), { timeout: 15_000 })
        .toContain('"authorization": "Bearer ');
      await page.locator('.graphiql-execute-button').click();
      await expect
        .poll(() => editorText(page, '.graphiql-response'), { timeout: 30_000 })
        .toContain(`"name": "${demoUser}"`);
      expect(await editorText(page, '.graphiql-response')).not.toContain('"errors"');
    } finally {
      await page.screenshot({ path: join(REPORTS_DIR, `playground-${client}-first-tab.png`) });
      await page.close();
    }
    expect(problems).toEqual([]);
  });

  it('gives every tab example variables that run for the demo user', async () => {
    const { operations, headers } = settingsOf(await (await fetch(`${targetOrigin}/`)).text());
    const byName = new Map(operations.map((o) => [o.name, o]));
    const declaresVariables = (document: string) => /^\s*(query|mutation)\s+\w+\s*\(/m.test(document);
    for (const operation of operations) {
      if (declaresVariables(operation.document)) expect(operation.variables, operation.name).not.toBe('');
    }
    const ran: string[] = [];
    const answers = new Map<string, Record<string, unknown> | null | undefined>();
    for (const name of TAB_FLOW) {
      const operation = byName.get(name);
      if (!operation) continue;
      const variables = JSON.parse(operation.variables || '{}') as Record<string, unknown>;
      const answer = await postGraphQL(target.url, operation.document, variables, headers);
      expect(answer.body.errors, `${client} ${name}`).toBeUndefined();
      answers.set(name, answer.body.data);
      ran.push(name);
    }
    expect(new Set(ran)).toEqual(new Set(operations.map((o) => o.name)));

    // CancelOrder's example is the demo user's order placed through checkout: the cancellation is
    // accepted (web's run starts it; mobile's, on the same databases, finds it asked or done).
    expect(JSON.parse(byName.get('CancelOrder')!.variables)).toMatchObject({ orderId: DEMO_CANCELLABLE_ORDER_ID });
    const asked = answers.get('CancelOrder')?.cancelOrder as OrderProgress;
    expect(asked.id).toBe(DEMO_CANCELLABLE_ORDER_ID);
    expect(['CONFIRMED', 'CANCELLED']).toContain(asked.status);
    expect(['RUNNING', 'SUCCEEDED']).toContain(asked.cancellation?.state);
    // Then the OrderStatus tab, polled as its comment says, shows it cancelled, refunded and restocked.
    const orderStatus = byName.get('OrderStatus')!;
    let order: OrderProgress | undefined;
    await expect
      .poll(
        async () => {
          const answer = await postGraphQL(
            target.url,
            orderStatus.document,
            { id: DEMO_CANCELLABLE_ORDER_ID },
            headers,
          );
          expect(answer.body.errors).toBeUndefined();
          order = answer.body.data?.order as OrderProgress;
          return order.status;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe('CANCELLED');
    expect(order).toMatchObject({
      statusReason: 'Ordered by mistake',
      payment: { status: 'REFUNDED' },
      cancellation: {
        state: 'SUCCEEDED',
        steps: [
          { name: 'REFUND_PAYMENT', status: 'SUCCEEDED' },
          { name: 'RELEASE_STOCK', status: 'SUCCEEDED' },
        ],
      },
    });
  });
});

// `npm run schema:check` on a copy of the repository's schema-relevant files, with the current
// supergraphs as a file-based baseline: each check is proved to pass on a safe change and to fail,
// naming the culprit, on the change it exists to catch.
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose, ROOT_DIR } from '../lib/composition.ts';
import { buildManifest } from '../lib/gateway/persistedOperations.ts';
import {
  runSchemaCheck,
  SUPERGRAPH_TARGETS,
  type BaseSpec,
  type CheckId,
  type SchemaCheckReport,
} from '../tools/schema-check/index.ts';
import {
  APPROVED_CHANGES_FILE,
  bffSchemaFile,
  MOBILE_MANIFEST_FILE,
  MOBILE_OPERATIONS_FOLDER,
  operationsFolder,
  subgraphSchemaFile,
  subgraphSources,
  supergraphFile,
} from '../tools/schema-check/workspace.ts';
import { SUBGRAPH_NAMES } from '../lib/services.ts';

/** Order.itemCount retyped to String! (Cart has an itemCount too, so the edit names Order's). */
function retypeOrderItemCount(sdl: string): string {
  const retyped = sdl.replace(/(items: \[OrderItem!\]![^\n]*\n[^\n]*\n {2}itemCount: )Int!/, '$1String!');
  if (retyped === sdl)
    throw new Error('subgraphs/orders/schema.graphql no longer declares Order.itemCount after Order.items');
  return retyped;
}

let scratch = '';
let pristine = '';
let baseDir = '';
let cases = 0;

const INPUT_FILES = [
  ...SUBGRAPH_NAMES.map(subgraphSchemaFile),
  bffSchemaFile('web'),
  bffSchemaFile('mobile'),
  operationsFolder('web'),
  operationsFolder('mobile'),
  APPROVED_CHANGES_FILE,
];

async function copyInto(from: string, to: string, files: string[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await cp(join(from, file), join(to, file), { recursive: true });
  }
}

/** What `npm run compose` does, on the copy: a developer who ran it before committing. */
async function composeInto(root: string): Promise<void> {
  for (const target of SUPERGRAPH_TARGETS) {
    const outcome = compose(await subgraphSources(root, target));
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    await writeFile(join(root, supergraphFile(target)), outcome.supergraphSdl);
  }
  await writeFile(
    join(root, MOBILE_MANIFEST_FILE),
    `${JSON.stringify(await buildManifest(join(root, MOBILE_OPERATIONS_FOLDER)), null, 2)}\n`,
  );
}

/** A fresh copy of the fixture for one case, so cases never see each other's edits. */
async function fixture(): Promise<string> {
  const root = join(scratch, `case-${++cases}`);
  await cp(pristine, root, { recursive: true });
  return root;
}

async function edit(root: string, file: string, change: (text: string) => string): Promise<void> {
  const path = join(root, file);
  const before = await readFile(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the edit of ${file} changed nothing`);
  await writeFile(path, after);
}

const dirBase = (): BaseSpec => ({ kind: 'dir', dir: baseDir });
const check = (root: string, base: BaseSpec = dirBase()): Promise<SchemaCheckReport> => runSchemaCheck({ root, base });

function statuses(report: SchemaCheckReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

function errors(report: SchemaCheckReport, id: CheckId): string[] {
  return (
    report.checks
      .find((c) => c.id === id)
      ?.findings.filter((f) => f.level === 'error')
      .map((f) => f.message) ?? []
  );
}

const ALL_PASS = {
  composition: 'pass',
  staleness: 'pass',
  'breaking-changes': 'pass',
  'client-operations': 'pass',
  'persisted-manifest': 'pass',
  budgets: 'pass',
};

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'schema-check-'));
  pristine = join(scratch, 'pristine');
  await copyInto(ROOT_DIR, pristine, INPUT_FILES);
  await mkdir(join(pristine, 'schema'), { recursive: true });
  await mkdir(dirname(join(pristine, MOBILE_MANIFEST_FILE)), { recursive: true });
  await composeInto(pristine);
  // The baseline: the supergraphs as they are now, laid out like the repository's schema/ folder.
  baseDir = join(scratch, 'base');
  await copyInto(pristine, baseDir, SUPERGRAPH_TARGETS.map(supergraphFile));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('schema:check on an unchanged copy', () => {
  it('passes every check and reports each operation against its budget', async () => {
    const report = await check(await fixture());
    expect(statuses(report)).toEqual(ALL_PASS);
    expect(report).toMatchObject({ outcome: 'pass', exitCode: 0 });
    const budgets = report.checks.find((c) => c.id === 'budgets')?.findings.map((f) => f.message) ?? [];
    const operationFiles = (
      await Promise.all(
        (['web', 'mobile'] as const).map(async (g) =>
          (await readdir(join(ROOT_DIR, operationsFolder(g)))).filter((f) => f.endsWith('.graphql')),
        ),
      )
    ).flat();
    expect(budgets).toHaveLength(operationFiles.length);
    expect(budgets.join('\n')).toMatch(/gateway-mobile Dashboard .*: 5\/\d+ fetches, depth 3\/\d+, cost 38\/\d+/);
  });
});

describe('breaking changes and client operations', () => {
  it('passes a new nullable field, listed as a safe change', async () => {
    const root = await fixture();
    await edit(root, subgraphSchemaFile('products'), (t) =>
      t.replace(
        '  description: String! @staleIfError\n',
        '  description: String! @staleIfError\n  "Whether the shop can gift-wrap it."\n  giftWrap: Boolean\n',
      ),
    );
    await composeInto(root);
    const report = await check(root);
    expect(statuses(report)).toEqual(ALL_PASS);
    const messages =
      report.checks.find((c) => c.id === 'breaking-changes')?.findings.map((f) => `${f.level} ${f.message}`) ?? [];
    expect(messages.join('\n')).toMatch(/^info safe change FIELD_ADDED Product\.giftWrap: .*\[domain, web, mobile\]$/m);
  });

  it('reports a dangerous change (a new enum value clients may not know) without failing', async () => {
    const root = await fixture();
    await edit(root, subgraphSchemaFile('orders'), (t) =>
      t.replace('  CANCELLED\n', '  CANCELLED\n  "Returned and refunded."\n  RETURNED\n'),
    );
    await composeInto(root);
    const report = await check(root);
    expect(statuses(report)).toEqual(ALL_PASS);
    const warnings = report.checks
      .find((c) => c.id === 'breaking-changes')
      ?.findings.filter((f) => f.level === 'warning')
      .map((f) => f.message);
    expect(warnings).toEqual([
      expect.stringMatching(/^dangerous change ENUM_VALUE_ADDED OrderStatus\.RETURNED: .*\[domain, web, mobile\]$/),
    ]);
  });

  it('fails a removed field that only a mobile operation queries, naming the change, the file, the operation and the field', async () => {
    const root = await fixture();
    await edit(root, subgraphSchemaFile('products'), (t) => t.replace('  description: String! @staleIfError\n', ''));
    await composeInto(root);
    const report = await check(root);
    expect(report).toMatchObject({ outcome: 'fail', exitCode: 1 });
    expect(statuses(report)).toMatchObject({
      composition: 'pass',
      staleness: 'pass',
      'breaking-changes': 'fail',
      'client-operations': 'fail',
      'persisted-manifest': 'pass',
    });
    expect(errors(report, 'breaking-changes')).toEqual([
      expect.stringMatching(/^breaking change FIELD_REMOVED Product\.description: .*\[domain, web, mobile\]$/),
    ]);
    const operationErrors = errors(report, 'client-operations');
    expect(operationErrors).toEqual([
      expect.stringMatching(
        /^gateway-mobile\/operations\/Product\.graphql:\d+:\d+ operation Product: Cannot query field "description" on type "Product"\. \(against the gateway-mobile supergraph\)$/,
      ),
    ]);
  });

  it('fails a field type change (Int to String), naming the type and field', async () => {
    const root = await fixture();
    await edit(root, subgraphSchemaFile('orders'), (t) => retypeOrderItemCount(t));
    await composeInto(root);
    const report = await check(root);
    expect(statuses(report)).toMatchObject({ 'breaking-changes': 'fail', 'client-operations': 'pass' });
    expect(errors(report, 'breaking-changes')).toEqual([
      expect.stringMatching(/^breaking change FIELD_TYPE_CHANGED Order\.itemCount: .*'Int!'.*'String!'/),
    ]);
  });

  it('passes a breaking change approved with a reason, and fails one approved without a reason', async () => {
    const root = await fixture();
    await edit(root, subgraphSchemaFile('orders'), (t) => retypeOrderItemCount(t));
    await composeInto(root);
    const approvals = join(root, APPROVED_CHANGES_FILE);
    const header = await readFile(approvals, 'utf8');

    await writeFile(approvals, `${header}FIELD_TYPE_CHANGED Order.itemCount: both apps read it as text since 4.0\n`);
    const approved = await check(root);
    expect(statuses(approved)).toEqual(ALL_PASS);
    const infos = approved.checks.find((c) => c.id === 'breaking-changes')?.findings.map((f) => f.message) ?? [];
    expect(infos).toContainEqual(
      expect.stringMatching(
        /^approved breaking change FIELD_TYPE_CHANGED Order\.itemCount: .*both apps read it as text since 4\.0\)$/,
      ),
    );

    await writeFile(approvals, `${header}FIELD_TYPE_CHANGED Order.itemCount:\n`);
    const unexplained = await check(root);
    expect(statuses(unexplained)).toMatchObject({ 'breaking-changes': 'fail' });
    const lineNumber = header.split('\n').length;
    expect(errors(unexplained, 'breaking-changes')).toEqual([
      `schema/approved-changes:${lineNumber}: the approval of FIELD_TYPE_CHANGED Order.itemCount has no reason: write "FIELD_TYPE_CHANGED Order.itemCount: why this break is acceptable"`,
      expect.stringMatching(/^breaking change FIELD_TYPE_CHANGED Order\.itemCount: /),
    ]);
  });

  it('compares against single base files too (--base-file)', async () => {
    const root = await fixture();
    await edit(root, subgraphSchemaFile('orders'), (t) => retypeOrderItemCount(t));
    await composeInto(root);
    const files = Object.fromEntries(SUPERGRAPH_TARGETS.map((t) => [t, join(baseDir, supergraphFile(t))]));
    const report = await check(root, { kind: 'files', files });
    expect(errors(report, 'breaking-changes')).toEqual([
      expect.stringMatching(/^breaking change FIELD_TYPE_CHANGED Order\.itemCount: /),
    ]);
  });
});

describe('composition and committed outputs', () => {
  it('fails a field two subgraphs define incompatibly, naming the composition, the subgraphs, the type and the field', async () => {
    const root = await fixture();
    await edit(root, subgraphSchemaFile('inventory'), (t) =>
      t
        .replace('import: ["@key", "@inaccessible"]', 'import: ["@key", "@inaccessible", "@shareable"]')
        .replace(
          'type Product @key(fields: "id") @cacheControl(maxAge: 10) {\n  id: ID!\n',
          'type Product @key(fields: "id") @cacheControl(maxAge: 10) {\n  id: ID!\n  name: Int! @shareable\n',
        ),
    );
    const report = await check(root);
    expect(report.exitCode).toBe(1);
    expect(statuses(report)).toMatchObject({
      composition: 'fail',
      staleness: 'skip',
      'breaking-changes': 'skip',
      'client-operations': 'skip',
      budgets: 'skip',
    });
    const messages = errors(report, 'composition');
    const domain = messages.filter((m) => m.startsWith('domain supergraph: '));
    expect(domain.length).toBeGreaterThan(0);
    expect(domain.join('\n')).toMatch(/Product\.name/);
    expect(domain.join('\n')).toMatch(/"inventory"/);
    expect(domain.join('\n')).toMatch(/"products"/);
    expect(messages).toContain(
      `gateway-web supergraph: failed with the domain supergraph's ${domain.length} error(s) above`,
    );
    expect(messages).toContain(
      `gateway-mobile supergraph: failed with the domain supergraph's ${domain.length} error(s) above`,
    );
  });

  it('fails a committed supergraph that is not what composition produces now', async () => {
    const root = await fixture();
    await edit(root, subgraphSchemaFile('products'), (t) =>
      t.replace(
        '  description: String! @staleIfError\n',
        '  description: String! @staleIfError\n  giftWrap: Boolean\n',
      ),
    );
    const report = await check(root);
    expect(statuses(report)).toMatchObject({ composition: 'pass', staleness: 'fail', 'breaking-changes': 'pass' });
    expect(errors(report, 'staleness')).toEqual(
      SUPERGRAPH_TARGETS.map(
        (t) =>
          expect.stringMatching(
            new RegExp(
              `^${supergraphFile(t)} is stale: it differs from a fresh composition from line \\d+ \\(run npm run compose and commit it\\)$`,
            ),
          ) as unknown,
      ),
    );
  });

  it('fails a stale persisted query manifest, naming the operations changed and added', async () => {
    const root = await fixture();
    await edit(root, `${MOBILE_OPERATIONS_FOLDER}/Catalog.graphql`, (t) =>
      t.replace('        name\n', '        name\n        imageUrl\n'),
    );
    const categories = 'query Categories {\n  categories {\n    name\n  }\n}\n';
    await writeFile(join(root, MOBILE_OPERATIONS_FOLDER, 'Categories.graphql'), categories);
    await edit(root, `${MOBILE_OPERATIONS_FOLDER}/budgets.json`, (t) =>
      t.replace('"Product":', '"Categories": { "maxFetches": 1, "maxSequenceDepth": 1, "maxCost": 20 },\n  "Product":'),
    );
    const report = await check(root);
    expect(statuses(report)).toEqual({ ...ALL_PASS, 'persisted-manifest': 'fail' });
    expect(errors(report, 'persisted-manifest')).toEqual([
      expect.stringMatching(
        /^gateway-mobile\/persisted-query-manifest\.json is stale: operation Catalog changed: committed id [0-9a-f]{12}, now [0-9a-f]{12} \(run npm run compose/,
      ),
      expect.stringMatching(/^gateway-mobile\/persisted-query-manifest\.json is stale: operation Categories added /),
    ]);
  });
});

describe('budgets', () => {
  it('fails an operation whose plan grows past its budget, printing the plan', async () => {
    const root = await fixture();
    // Stock and rating on the recommendations: two more subgraph fetches for the mobile home screen.
    await edit(root, `${MOBILE_OPERATIONS_FOLDER}/Dashboard.graphql`, (t) =>
      t.replace(
        '        thumbnailUrl\n',
        '        thumbnailUrl\n        averageRating\n        stock {\n          inStock\n        }\n',
      ),
    );
    await composeInto(root);
    const report = await check(root);
    expect(statuses(report)).toEqual({ ...ALL_PASS, budgets: 'fail' });
    const over = report.checks.find((c) => c.id === 'budgets')?.findings.filter((f) => f.level === 'error') ?? [];
    expect(over.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^gateway-mobile Dashboard \(gateway-mobile\/operations\/Dashboard\.graphql\) is over budget: fetches 7 > maxFetches 6; cost \d+ > maxCost 45 \(fetches: .*inventory@3, reviews@3.*\)$/,
      ),
    ]);
    expect(over[0]?.detail).toMatch(/^QueryPlan \{/);
    expect(over[0]?.detail).toContain('Fetch(service: "reviews")');
  });

  it('fails an operation without a budget', async () => {
    const root = await fixture();
    await writeFile(
      join(root, operationsFolder('web'), 'Categories.graphql'),
      'query Categories {\n  categories {\n    name\n  }\n}\n',
    );
    const report = await check(root);
    expect(statuses(report)).toEqual({ ...ALL_PASS, budgets: 'fail' });
    expect(errors(report, 'budgets')).toEqual([
      'gateway-web Categories (gateway-web/operations/Categories.graphql): no budget in gateway-web/operations/budgets.json (measured now: 1 fetch, depth 1, cost 20)',
    ]);
  });
});

describe('the schema:check command', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT_DIR, 'scripts/schema-check.ts'), ...args], {
      cwd: ROOT_DIR,
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('exits 0 with a readable report and a JSON report on a clean copy, 1 when a check fails', async () => {
    const root = await fixture();
    const json = join(root, 'out', 'report.json');
    const clean = cli(['--root', root, '--base-dir', baseDir, '--json', json]);
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/^PASSED {2}6 passed, 0 failed in /m);
    const report: unknown = JSON.parse(await readFile(json, 'utf8'));
    expect(report).toMatchObject({
      outcome: 'pass',
      exitCode: 0,
      root,
      checks: Object.keys(ALL_PASS).map((id) => ({ id, status: 'pass' })),
    });

    await edit(root, subgraphSchemaFile('products'), (t) => t.replace('  description: String! @staleIfError\n', ''));
    await composeInto(root);
    const broken = cli(['--root', root, '--base-dir', baseDir]);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toMatch(/✗ breaking change FIELD_REMOVED Product\.description/);
    expect(broken.stdout).toMatch(
      /✗ gateway-mobile\/operations\/Product\.graphql:\d+:\d+ operation Product: Cannot query field "description"/,
    );
    expect(broken.stdout).toMatch(/^FAILED {2}breaking-changes, client-operations: 4 passed, 2 failed in /m);
    const defaultJson: unknown = JSON.parse(await readFile(join(root, 'reports', 'schema-check.json'), 'utf8'));
    expect(defaultJson).toMatchObject({ outcome: 'fail', exitCode: 1 });
  });

  it('reads single base files given as [target=]path', async () => {
    const root = await fixture();
    const [domain, web, mobile] = SUPERGRAPH_TARGETS.map((t) => join(baseDir, supergraphFile(t)));
    const run = cli([
      '--root',
      root,
      '--base-file',
      `${domain}`,
      '--base-file',
      `web=${web}`,
      '--base-file',
      `mobile=${mobile}`,
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^schema:check {2}root .* {2}base files domain=.*, web=.*, mobile=.*$/m);
  });

  it('exits 2 when the base ref does not exist, and checks without a baseline only when told to', async () => {
    const root = await fixture();
    const missing = cli(['--root', root, '--base', 'no-such-ref-7f3a', '--json', join(root, 'missing.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stdout).toMatch(
      /^COULD NOT RUN {2}no baseline: base ref no-such-ref-7f3a does not exist in .*--allow-missing-base/m,
    );
    expect(JSON.parse(await readFile(join(root, 'missing.json'), 'utf8'))).toMatchObject({
      outcome: 'error',
      exitCode: 2,
      checks: [],
    });

    const allowed = await runSchemaCheck({
      root,
      base: { kind: 'git', ref: 'no-such-ref-7f3a' },
      allowMissingBase: true,
    });
    expect(statuses(allowed)).toEqual({ ...ALL_PASS, 'breaking-changes': 'skip' });
    expect(allowed.exitCode).toBe(0);
  });

  it('exits 2 on bad arguments and on a root it cannot read', () => {
    expect(cli(['--base', 'main', '--base-dir', '/tmp']).status).toBe(2);
    expect(cli(['--no-such-flag']).status).toBe(2);
    expect(cli(['--base-file', `gateway=${join(baseDir, supergraphFile('web'))}`]).status).toBe(2);
    const noRoot = cli([
      '--root',
      join(scratch, 'does-not-exist'),
      '--base-dir',
      baseDir,
      '--json',
      join(scratch, 'no-root.json'),
    ]);
    expect(noRoot.status).toBe(2);
    expect(noRoot.stdout).toMatch(/COULD NOT RUN {2}root .*does-not-exist is not a directory/);
  });
});

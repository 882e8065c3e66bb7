// `npm run schema:check`: composition, staleness, breaking changes against a base, client operations,
// the persisted manifest and per-operation budgets. Exit 0 pass, 1 a check failed, 2 could not run.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT_DIR } from '../lib/composition.ts';
import {
  formatReport,
  runSchemaCheck,
  SUPERGRAPH_TARGETS,
  writeJsonReport,
  type BaseSpec,
  type SchemaCheckReport,
  type SupergraphTarget,
} from '../tools/schema-check/index.ts';

const USAGE = `usage: npm run schema:check -- [options]
  --root <dir>             repository to check (default: this repository)
  --base <ref>             git ref with the previous supergraphs (default: main)
  --base-dir <dir>         previous supergraphs from a directory: a copy of the repository or of its schema/ folder
  --base-file [target=]<file>  previous supergraph from a file; target is domain (default), web or mobile; repeatable
  --allow-missing-base     a base ref or file that does not exist means "no baseline" instead of exit code 2
  --json <path>            JSON report (default: <root>/reports/schema-check.json)`;

class UsageError extends Error {}

function isTarget(value: string): value is SupergraphTarget {
  return (SUPERGRAPH_TARGETS as readonly string[]).includes(value);
}

function baseFiles(values: string[]): BaseSpec {
  const files: Partial<Record<SupergraphTarget, string>> = {};
  for (const value of values) {
    const separator = value.indexOf('=');
    const target = separator > 0 ? value.slice(0, separator) : 'domain';
    if (!isTarget(target))
      throw new UsageError(`--base-file ${value}: the target must be one of ${SUPERGRAPH_TARGETS.join(', ')}`);
    files[target] = separator > 0 ? value.slice(separator + 1) : value;
  }
  return { kind: 'files', files };
}

function readArguments(argv: string[]): { root: string; base: BaseSpec; allowMissingBase: boolean; json: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        base: { type: 'string' },
        'base-dir': { type: 'string' },
        'base-file': { type: 'string', multiple: true },
        'allow-missing-base': { type: 'boolean', default: false },
        json: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const given = [values.base, values['base-dir'], values['base-file']].filter((v) => v !== undefined);
  if (given.length > 1) throw new UsageError('give one of --base, --base-dir and --base-file');
  const root = resolve(values.root ?? ROOT_DIR);
  const base: BaseSpec = values['base-dir']
    ? { kind: 'dir', dir: values['base-dir'] }
    : values['base-file']
      ? baseFiles(values['base-file'])
      : { kind: 'git', ref: values.base ?? 'main' };
  return {
    root,
    base,
    allowMissingBase: values['allow-missing-base'],
    json: resolve(values.json ?? join(root, 'reports', 'schema-check.json')),
  };
}

async function main(): Promise<number> {
  let args;
  try {
    args = readArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`schema:check: ${error.message}\n${USAGE}`);
    return 2;
  }
  let report: SchemaCheckReport;
  try {
    report = await runSchemaCheck({ root: args.root, base: args.base, allowMissingBase: args.allowMissingBase });
  } catch (error) {
    // A bug or an input no check anticipated: the check did not run, which is not a pass.
    console.error('schema:check could not run:', error);
    return 2;
  }
  console.log(formatReport(report));
  try {
    await writeJsonReport(report, args.json);
    console.log(`JSON report: ${args.json}`);
  } catch (error) {
    console.error(
      `schema:check: cannot write the JSON report ${args.json}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 2;
  }
  return report.exitCode;
}

process.exitCode = await main();

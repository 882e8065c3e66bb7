// The container image's entry point: one process of the stack, chosen by the first argument or by
// SERVICE. `serve.ts users` runs the users subgraph, `serve.ts gateway-web` a gateway,
// `serve.ts migrate orders` applies one service's migrations (the Kubernetes migration Job, compose's
// `migrate` service) and exits. Each is the same entry point `npm start` and `npm run db:migrate` run.
import { isSubgraphName, SUBGRAPH_NAMES } from '../lib/services.ts';

export const PROCESS_ENTRIES: Record<string, string> = {
  ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `../subgraphs/${name}/src/index.ts`])),
  'gateway-web': '../gateway-web/src/index.ts',
  'gateway-mobile': '../gateway-mobile/src/index.ts',
};

const [first, ...rest] = process.argv.slice(2);
const chosen = first ?? process.env.SERVICE;
const usage = `usage: serve.ts <${Object.keys(PROCESS_ENTRIES).join('|')}> | serve.ts migrate [service ...] (or SERVICE=<name>)`;

if (chosen === 'migrate') {
  const services = rest.length
    ? rest
    : process.env.SERVICE && process.env.SERVICE !== 'migrate'
      ? [process.env.SERVICE]
      : [];
  const unknown = services.filter((name) => !isSubgraphName(name));
  if (unknown.length) {
    console.error(`Unknown service(s) to migrate: ${unknown.join(', ')}\n${usage}`);
    process.exit(2);
  }
  // scripts/db.ts reads its command line: the same runner `npm run db:migrate` uses.
  process.argv = [process.argv[0]!, 'scripts/db.ts', 'migrate', ...services];
  await import('./db.ts');
} else if (chosen !== undefined && chosen in PROCESS_ENTRIES) {
  await import(PROCESS_ENTRIES[chosen]!);
} else {
  console.error(chosen === undefined ? usage : `Unknown process "${chosen}"\n${usage}`);
  process.exit(2);
}

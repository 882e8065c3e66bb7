// The container image's entry point: one process of the stack, chosen by the first argument or by
// SERVICE. `serve.ts users` runs the users subgraph, `serve.ts gateway-web` a gateway,
// `serve.ts migrate orders` applies one service's migrations (the Kubernetes migration Job, compose's
// `migrate` service) and exits. Each is the same entry point `npm start` and `npm run db:migrate` run.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ROOT_DIR } from '../lib/composition.ts';
import { isProcessName, PROCESS_NAMES, processEntry } from '../lib/processes.ts';
import { isSubgraphName } from '../lib/services.ts';

const [first, ...rest] = process.argv.slice(2);
const chosen = first ?? process.env.SERVICE;
const usage = `usage: serve.ts <${PROCESS_NAMES.join('|')}> | serve.ts migrate [service ...] (or SERVICE=<name>)`;

if (chosen === 'migrate') {
  const services = rest.length ? rest : [];
  const unknown = services.filter((name) => !isSubgraphName(name));
  if (unknown.length) {
    console.error(`Unknown service(s) to migrate: ${unknown.join(', ')}\n${usage}`);
    process.exit(2);
  }
  // scripts/db.ts reads its command line: the same runner `npm run db:migrate` uses.
  process.argv = [process.argv[0]!, join(ROOT_DIR, 'scripts/db.ts'), 'migrate', ...services];
  await import('./db.ts');
} else if (chosen !== undefined && isProcessName(chosen)) {
  await import(pathToFileURL(join(ROOT_DIR, processEntry(chosen))).href);
} else {
  console.error(chosen === undefined ? usage : `Unknown process "${chosen}"\n${usage}`);
  process.exit(2);
}

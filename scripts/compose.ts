// `npm run compose`: composes the subgraph SDLs into schema/supergraph.graphql (domain subgraphs)
// and schema/supergraph-<gateway>.graphql (domain + that gateway's BFF), and compiles the mobile
// persisted operations into gateway-mobile/persisted-query-manifest.json. All are committed.
import { writeFile } from 'node:fs/promises';
import {
  compose,
  domainSubgraphSources,
  gatewaySubgraphSources,
  gatewaySupergraphPath,
  SUPERGRAPH_PATH,
  type SubgraphSource,
} from '../lib/composition.ts';
import { buildManifest } from '../lib/gateway/persistedOperations.ts';
import { MOBILE_MANIFEST_PATH, MOBILE_OPERATIONS_DIR } from '../lib/gateway/paths.ts';

async function write(label: string, sources: SubgraphSource[], path: string): Promise<boolean> {
  const outcome = compose(sources);
  if (!outcome.ok) {
    console.error(`Composition of ${label} failed:\n${outcome.errors.map((e) => `  - ${e}`).join('\n')}`);
    return false;
  }
  await writeFile(path, outcome.supergraphSdl);
  console.log(`Wrote ${path}`);
  return true;
}

const results = [
  await write('the domain supergraph', await domainSubgraphSources(), SUPERGRAPH_PATH),
  await write('gateway-web', await gatewaySubgraphSources('web'), gatewaySupergraphPath('web')),
  await write('gateway-mobile', await gatewaySubgraphSources('mobile'), gatewaySupergraphPath('mobile')),
];
await writeFile(MOBILE_MANIFEST_PATH, `${JSON.stringify(await buildManifest(MOBILE_OPERATIONS_DIR), null, 2)}\n`);
console.log(`Wrote ${MOBILE_MANIFEST_PATH}`);
process.exit(results.every(Boolean) ? 0 : 1);

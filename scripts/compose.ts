// `npm run compose`: composes the six subgraph SDLs and writes schema/supergraph.graphql.
import { writeFile } from 'node:fs/promises';
import { compose, domainSubgraphSources, SUPERGRAPH_PATH } from '../lib/composition.ts';

const outcome = compose(await domainSubgraphSources());
if (!outcome.ok) {
  console.error(`Composition failed:\n${outcome.errors.map((e) => `  - ${e}`).join('\n')}`);
  process.exit(1);
}
await writeFile(SUPERGRAPH_PATH, outcome.supergraphSdl);
console.log(`Wrote ${SUPERGRAPH_PATH}`);

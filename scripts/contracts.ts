// `npm run contracts`: records what each gateway sends each domain subgraph (one contract per
// query-plan fetch of each client operation) under subgraphs/<name>/contracts/, where that
// subgraph's tests replay them. `--check` only reports stale files (exit 1), for CI.
import { contractDrift, describeDrift, generateContracts, writeContracts } from '../tools/contracts/index.ts';

const checkOnly = process.argv.includes('--check');
const fresh = await generateContracts();
const drift = checkOnly ? await contractDrift(fresh) : await writeContracts(fresh);
const counts = new Map<string, number>();
for (const contract of fresh) counts.set(contract.subgraph, (counts.get(contract.subgraph) ?? 0) + 1);
console.log(`${fresh.length} contracts: ${[...counts].map(([subgraph, n]) => `${subgraph} ${n}`).join(', ')}`);
for (const change of drift) console.log(`  ${checkOnly ? 'stale' : 'updated'}: ${describeDrift(change)}`);
if (checkOnly && drift.length) {
  console.error('Contracts are stale: run npm run contracts');
  process.exit(1);
}

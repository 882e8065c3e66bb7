import { portVariable, type SubgraphName } from '../../lib/services.ts';
import { TEST_SIGNING_SECRET } from './auth.ts';
import { databaseEnv } from './databases.ts';
import { ServerProcess } from './serverProcess.ts';

/** A real subgraph process on the databases under `prefix` (migrated and seeded beforehand). */
export class SubgraphProcess extends ServerProcess {
  constructor(
    readonly name: SubgraphName,
    port: number,
    readonly prefix: string,
  ) {
    super(`${name} process`, `subgraphs/${name}/src/index.ts`, port, () => ({
      ...databaseEnv(prefix),
      [portVariable(name)]: String(port),
      HOST: '127.0.0.1',
      GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SEED_ON_START: 'false',
      LOG_LEVEL: 'warn',
    }));
  }
}

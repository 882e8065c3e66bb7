import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClient, type Client } from '../../lib/auth/index.ts';
import { readSubgraphSdl } from '../../lib/composition.ts';
import {
  checkContractAgainstSchema,
  checkResponseShape,
  consumerLabel,
  readContracts,
  replayRequest,
  subgraphSchema,
  type Contract,
} from '../../tools/contracts/index.ts';
import { silentLogger } from '../../lib/observability/index.ts';
import { demoData, DEMO_USER_ID } from '../../lib/seed/index.ts';
import type { SubgraphName } from '../../lib/services.ts';
import type { ServicePrisma, StartedSubgraph } from '../../lib/subgraph/index.ts';
import { SUBGRAPH_SERVICES } from '../../subgraphs/index.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from './auth.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './databases.ts';
import type { GraphQLResponse } from './gateway.ts';

/** The client a consumer's requests are signed for: a gateway's own, `service` for anyone else (a saga). */
function clientOf(consumer: string): Client {
  const client = consumer.replace(/^gateway-/, '');
  return isClient(client) ? client : 'service';
}

function failWith(violations: string[]): void {
  if (violations.length) throw new Error(violations.join('\n'));
}

/** Sends an operation to the subgraph under test as a service (the saga), for the demo user. */
export type SendAsService = (query: string, variables: Record<string, unknown>) => Promise<GraphQLResponse>;

/**
 * Values a provider state brings that no fixed value can name (an order a checkout just placed), by
 * the consumer's operation name: they replace the contract's recorded values for that replay.
 */
export type ProviderStateValues = Record<string, Record<string, unknown>>;

export interface ReplayOptions {
  /**
   * Sets up the provider states the contracts rely on beyond the seed, through the subgraph's own
   * API: `send` as a service (a hold to commit, a charge to refund), `sendAsUser` as the demo user
   * through a gateway (a cart, a placed order).
   */
  given?: (send: SendAsService, sendAsUser: SendAsService) => Promise<ProviderStateValues | void>;
  /** More env for the subgraph under test (where the services it calls listen), read when it starts. */
  env?: () => NodeJS.ProcessEnv;
}

/**
 * Declares a subgraph's contract tests: starts that one subgraph on its own seeded database and, for
 * every contract committed under subgraphs/<name>/contracts/, checks it against the schema the
 * subgraph serves, then sends it as the demo user and reads the answer as the consumer would.
 * `given` sets up the provider states hand-written contracts rely on beyond the seed (a hold to
 * commit, a charge to refund), through the subgraph's own API, before any contract is replayed.
 */
export function replayContracts(subgraph: SubgraphName, options: ReplayOptions = {}): void {
  const contracts = readContracts(subgraph);
  describe(`contracts with ${subgraph}'s consumers`, () => {
    const prefix = uniquePrefix(`contracts${subgraph}`);
    let server: StartedSubgraph<ServicePrisma> | undefined;
    let schema: GraphQLSchema;
    let stateValues: ProviderStateValues = {};

    const post = (query: string, variables: Record<string, unknown>, client: Client) =>
      postToSubgraph(server?.url ?? '', query, variables, gatewaySigned({ userId: DEMO_USER_ID, client }));

    beforeAll(async () => {
      server = await SUBGRAPH_SERVICES[subgraph].start({
        env: { ...databaseEnv(prefix), GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET, ...options.env?.() },
        port: 0,
        logger: silentLogger(),
        seedScale: 1,
      });
      // The schema the running subgraph serves, as a gateway composing it would see it.
      const { body } = await post('{ _service { sdl } }', {}, 'service');
      const sdl = body.data?._service;
      if (typeof sdl !== 'object' || sdl === null || !('sdl' in sdl) || typeof sdl.sdl !== 'string')
        throw new Error(`${subgraph} serves no _service.sdl`);
      schema = subgraphSchema(sdl.sdl);
      stateValues =
        (await options.given?.(
          (query, variables) => post(query, variables, 'service'),
          (query, variables) => post(query, variables, 'web'),
        )) ?? {};
    });

    afterAll(async () => {
      await server?.close();
      await dropDatabasesWithPrefix(prefix);
    });

    it('serves the schema in its schema.graphql, which `npm run contracts` recorded them against', async () => {
      const committed = subgraphSchema(await readSubgraphSdl(subgraph));
      expect(printSchema(lexicographicSortSchema(schema))).toBe(printSchema(lexicographicSortSchema(committed)));
    });

    it.each(
      contracts.map(
        (contract) => [`${consumerLabel(contract)} (${contract.file.split('/').at(-1)})`, contract] as const,
      ),
    )('keeps %s', async (_title: string, contract: Contract) => {
      failWith(checkContractAgainstSchema(contract, schema));
      const { variables, entityTypes } = replayRequest(contract, schema, { userId: DEMO_USER_ID, data: demoData(1) });
      Object.assign(variables, stateValues[contract.operationName]);
      const { status, body } = await post(contract.document, variables, clientOf(contract.consumer));
      const { violations, unreached } = checkResponseShape({ contract, schema, body, entityTypes });
      failWith(
        status === 200
          ? violations
          : [`${consumerLabel(contract)}: ${subgraph} answered HTTP ${status} (${contract.file})`, ...violations],
      );
      // A field no value reached was not checked at all (an empty list hides its items' shape).
      failWith(
        unreached.map(
          (field) =>
            `${consumerLabel(contract)} expects ${field} from ${subgraph}, but no value in the seeded answer reached it (${contract.file})`,
        ),
      );
    });
  });
}

import { fileURLToPath } from 'node:url';
import type { ApolloServer, BaseContext } from '@apollo/server';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { IdentitySigningConfig } from '../auth/index.ts';
import type { RawQuerier } from '../db/pagedChildren.ts';
import type { RequestInfo } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import type { ServiceMetrics } from '../observability/metrics/registry.ts';
import type { SubgraphName } from '../services.ts';
import {
  prepareDatabase,
  startSubgraph,
  type PrepareOptions,
  type PreparedDatabase,
  type StartOptions,
  type StartedSubgraph,
} from './start.ts';

/** What every generated Prisma client offers and the bootstrap relies on. */
export interface ServicePrisma extends RawQuerier {
  $disconnect(): Promise<void>;
  $on(event: 'query', listener: (e: { query: string }) => void): void;
}

export interface SubgraphDeps<TPrisma> {
  prisma: TPrisma;
  logger: Logger;
  /** Verifies the gateway's signature on every request's forwarded identity. */
  signing: IdentitySigningConfig;
  /** The process's env, for a service's own settings (read and validated once, in `buildServer`). */
  env: NodeJS.ProcessEnv;
  /** The service's metrics registry, for a service's own families (orders' sagas); optional for embedders. */
  metrics?: ServiceMetrics;
}

export interface SubgraphServer<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: (info: RequestInfo) => Promise<TContext>;
  /** Releases what the server holds beside its database (clients of other services, background work). */
  close?(): Promise<void>;
}

/** Everything a background worker of a service (an event consumer, an outbox relay) starts from. */
export interface WorkerDeps<TPrisma> {
  prisma: TPrisma;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  metrics?: ServiceMetrics;
}

export interface RunningWorkers {
  stop(): Promise<void>;
}

export interface SeedReport {
  seeded: boolean;
  rows: Record<string, number>;
}

/** Everything the bootstrap needs to know about one domain subgraph. */
export interface SubgraphModule<TPrisma extends ServicePrisma, TContext extends BaseContext = BaseContext> {
  name: SubgraphName;
  /** `prisma/<name>/migrations`. */
  migrationsDir: string;
  createPrisma(adapter: SqlMigrationAwareDriverAdapterFactory): TPrisma;
  buildServer(deps: SubgraphDeps<TPrisma>): SubgraphServer<TContext>;
  /** Inserts this service's share of the demo data; rows already there are kept, never duplicated. */
  seed(prisma: TPrisma, scale: number): Promise<SeedReport>;
  /** Background work beside the HTTP server (event consumers, outbox relays); started only when asked. */
  startWorkers?(deps: WorkerDeps<TPrisma>): Promise<RunningWorkers>;
  /**
   * Connections in the service's database pool, read (and validated) from its environment; without
   * it, lib/db's default. A bad value stops the start naming the variable.
   */
  poolSize?(env: NodeJS.ProcessEnv): number;
}

/** The migrations folder of a service: `prisma/<name>/migrations`. */
export function migrationsDirOf(name: SubgraphName): string {
  return fileURLToPath(new URL(`../../prisma/${name}/migrations`, import.meta.url));
}

/**
 * A subgraph as scripts and tests handle it, whatever its Prisma client and context types: the
 * generics stay inside, so the six services fit in one list.
 */
export interface SubgraphService {
  name: SubgraphName;
  prepare(options: PrepareOptions): Promise<PreparedDatabase<ServicePrisma>>;
  start(options: StartOptions): Promise<StartedSubgraph<ServicePrisma>>;
}

/** A subgraph service from its parts; the migrations folder follows from the name. */
export function defineSubgraph<TPrisma extends ServicePrisma, TContext extends BaseContext>(
  parts: Omit<SubgraphModule<TPrisma, TContext>, 'migrationsDir'>,
): SubgraphService {
  const module: SubgraphModule<TPrisma, TContext> = { ...parts, migrationsDir: migrationsDirOf(parts.name) };
  return {
    name: parts.name,
    prepare: (options) => prepareDatabase(module, options),
    start: (options) => startSubgraph(module, options),
  };
}

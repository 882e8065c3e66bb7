import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import type { CompositionOutcome } from '../../lib/composition.ts';
import type { SupergraphTarget } from './types.ts';

/**
 * The schema clients see: a supergraph without its federation machinery (join__, link, inaccessible
 * elements), which is what breaking changes and client operations are judged against.
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/** The supergraphs composed in this run, with their API schemas built once and shared by the checks. */
export class FreshSupergraphs {
  private readonly apiSchemas = new Map<SupergraphTarget, GraphQLSchema>();

  constructor(private readonly outcomes: ReadonlyMap<SupergraphTarget, CompositionOutcome>) {}

  outcome(target: SupergraphTarget): CompositionOutcome | undefined {
    return this.outcomes.get(target);
  }

  /** The composed SDL, or null when composition failed (checks on it are then skipped). */
  sdl(target: SupergraphTarget): string | null {
    const outcome = this.outcomes.get(target);
    return outcome?.ok ? outcome.supergraphSdl : null;
  }

  apiSchema(target: SupergraphTarget): GraphQLSchema | null {
    const cached = this.apiSchemas.get(target);
    if (cached) return cached;
    const sdl = this.sdl(target);
    if (sdl === null) return null;
    const schema = apiSchemaOf(sdl);
    this.apiSchemas.set(target, schema);
    return schema;
  }
}

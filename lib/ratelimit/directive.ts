import { Kind, parse, type ConstDirectiveNode, type DocumentNode } from 'graphql';
import type { RateLimitBudget } from './config.ts';

/** A field's own budget, declared beside it in its subgraph's SDL with `@rateLimit`. */
export interface SchemaFieldLimit {
  budget: RateLimitBudget;
  failClosed: boolean;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `"30s"`, `"1m"`, `"2h"`, `"1d"` in seconds; anything else is an error naming `what`. */
export function windowSeconds(window: string, what: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(window);
  const seconds = match ? Number(match[1]) * UNITS[match[2]!]! : 0;
  if (seconds <= 0)
    throw new Error(`${what}: window "${window}" is not a positive duration such as "30s", "1m", "1h" or "1d"`);
  return seconds;
}

function argument(directive: ConstDirectiveNode, name: string) {
  return directive.arguments?.find((a) => a.name.value === name)?.value;
}

function limitOf(directive: ConstDirectiveNode, coordinate: string): SchemaFieldLimit {
  const what = `@rateLimit on ${coordinate}`;
  const max = argument(directive, 'max');
  const window = argument(directive, 'window');
  const failClosed = argument(directive, 'failClosed');
  const points = max?.kind === Kind.INT ? Number(max.value) : 0;
  if (points < 1) throw new Error(`${what}: max must be a positive integer`);
  if (window?.kind !== Kind.STRING) throw new Error(`${what}: window must be a string such as "1m"`);
  return {
    budget: { points, windowSeconds: windowSeconds(window.value, what) },
    failClosed: failClosed?.kind === Kind.BOOLEAN && failClosed.value,
  };
}

/**
 * The `@rateLimit` declarations of a supergraph, by schema coordinate. Subgraphs import the directive
 * from its own spec and compose it with `@composeDirective`, so composition keeps it on the field in
 * the supergraph the gateway serves: the limit travels with the schema, checked by composition and
 * by the schema staleness check, and never drifts from a separate config file. A declaration the
 * gateway cannot read stops it at start, naming the field.
 */
export function schemaFieldLimits(supergraph: string | DocumentNode): Map<string, SchemaFieldLimit> {
  const document = typeof supergraph === 'string' ? parse(supergraph) : supergraph;
  const limits = new Map<string, SchemaFieldLimit>();
  for (const definition of document.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === 'rateLimit');
      if (!directive) continue;
      const coordinate = `${definition.name.value}.${field.name.value}`;
      limits.set(coordinate, limitOf(directive, coordinate));
    }
  }
  return limits;
}

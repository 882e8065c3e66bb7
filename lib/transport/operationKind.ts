import { getOperationAST, Lexer, parse, Source, TokenKind, type DocumentNode } from 'graphql';

export type OperationKind = 'query' | 'mutation' | 'subscription' | 'unknown';

/**
 * The kind of a subgraph operation, which decides whether it may be retried. The planner hands us
 * the parsed document; without it the first token usually settles it, so the text is only parsed
 * in full when it opens with a fragment.
 */
export function operationKindOf(
  query: string | undefined,
  document?: DocumentNode,
  operationName?: string | null,
): OperationKind {
  if (document) return getOperationAST(document, operationName ?? undefined)?.operation ?? 'unknown';
  if (!query) return 'unknown';
  try {
    const token = new Lexer(new Source(query)).advance();
    if (token.kind === TokenKind.BRACE_L) return 'query';
    if (
      token.kind === TokenKind.NAME &&
      (token.value === 'query' || token.value === 'mutation' || token.value === 'subscription')
    )
      return token.value;
    return getOperationAST(parse(query), operationName ?? undefined)?.operation ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

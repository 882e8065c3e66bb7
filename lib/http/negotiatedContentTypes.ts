import type { HTTPGraphQLResponse } from '@apollo/server';
import type { FrontRequest } from './graphqlServer.ts';

/** Distinct `accept` headers whose negotiated content type is remembered. */
const MAX_ACCEPT_VALUES = 32;

/**
 * The content type Apollo's pipeline negotiated for each `accept` value it answered, so a path that
 * answers before it (the gateways' fast hits and known-query path, the subgraphs' lean execution) says the same. Learnt
 * only from a 200: Apollo refuses an unacceptable `accept` (406) in JSON too, which must not make
 * a later request with that `accept` answerable.
 */
export class NegotiatedContentTypes {
  readonly #byAccept: Map<string, string>;

  constructor(known: Iterable<[accept: string, contentType: string]> = []) {
    this.#byAccept = new Map(known);
  }

  /** The type to answer `req` with, or undefined until the pipeline has answered its `accept`. */
  of({ req }: Pick<FrontRequest, 'req'>): string | undefined {
    return this.#byAccept.get(req.headers.accept ?? '');
  }

  /** Learns from an answer of the pipeline (a FrontHandler's `answered`). */
  learn({ req }: Pick<FrontRequest, 'req'>, response: HTTPGraphQLResponse): void {
    const contentType = response.headers.get('content-type');
    const accept = req.headers.accept ?? '';
    if (!contentType || this.#byAccept.has(accept) || this.#byAccept.size >= MAX_ACCEPT_VALUES) return;
    if (response.body.kind === 'complete' && (response.status ?? 200) === 200) this.#byAccept.set(accept, contentType);
  }
}

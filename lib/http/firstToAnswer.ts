import type { FrontHandler } from './graphqlServer.ts';

/**
 * Front handlers tried in order until one answers; each learns from what Apollo answered to a
 * request all of them left to it (their negotiated content types are learnt from those answers).
 * Undefined when there is none, so the server goes straight to Apollo.
 */
export function firstToAnswer(handlers: ReadonlyArray<FrontHandler | null | undefined>): FrontHandler | undefined {
  const present = handlers.filter((h): h is FrontHandler => !!h);
  if (present.length <= 1) return present[0];
  return {
    async answer(request) {
      for (const handler of present) if (await handler.answer(request)) return true;
      return false;
    },
    answered(request, response) {
      for (const handler of present) handler.answered?.(request, response);
    },
  };
}

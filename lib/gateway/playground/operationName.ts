import { Kind, parse } from 'graphql';

/**
 * The operation name to send with `query`. GraphiQL updates its operation name 100 ms after the
 * editor changes, so a run right after switching tabs asks for the previous tab's operation in this
 * tab's document. A name the document does not define is replaced by its only operation's name, or
 * dropped when there are several (the server then asks for one).
 */
export function operationNameFor(query: string, requested: string | null | undefined): string | undefined {
  let names: string[];
  try {
    names = parse(query).definitions.flatMap((d) =>
      d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : [],
    );
  } catch {
    // The server reports the syntax error; the name does not matter then.
    return requested ?? undefined;
  }
  if (requested && names.includes(requested)) return requested;
  return names.length === 1 ? names[0] : undefined;
}

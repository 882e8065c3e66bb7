import { badUserInput } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Every entity id is a UUID. A malformed one is the caller's mistake (BAD_USER_INPUT), and checking it
 * here keeps it away from Postgres, which would otherwise fail the whole statement with a cast error.
 */
export function parseId(value: string, argumentName = 'id'): string {
  if (!isUuid(value)) throw badUserInput(`"${argumentName}" must be a UUID, got "${value.slice(0, 64)}"`, argumentName);
  return value.toLowerCase();
}

import { badUserInput } from '../errors.ts';

/** A required free text (a reason, a note): trimmed, not empty, at most `maxLength` characters. */
export function parseText(value: string, argumentName: string, maxLength: number): string {
  const text = value.trim();
  if (text.length === 0 || text.length > maxLength)
    throw badUserInput(`"${argumentName}" must be 1 to ${maxLength} characters`, argumentName);
  return text;
}

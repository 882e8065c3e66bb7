import { badUserInput } from '../../../lib/errors.ts';
import type { UpdateProfileInput } from './__generated__/resolvers-types.ts';

export const MAX_NAME_LENGTH = 100;
export const MAX_AVATAR_URL_LENGTH = 2048;

/** The profile fields a user may change; a field absent here is left as it is. */
export interface ProfileChange {
  name?: string;
  /** null removes the picture. */
  avatarUrl?: string | null;
}

// Control characters have no place in a display name, and Postgres refuses NUL in text outright.
const CONTROL = /\p{Cc}/u;

function nameOf(value: string | null): string {
  if (value === null) throw badUserInput('"input.name" cannot be removed; give a name', 'input.name');
  const name = value.trim();
  // Counted in code points, as a person counts characters (an emoji is one, not two UTF-16 units).
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_LENGTH) {
    throw badUserInput(`"input.name" must be 1 to ${MAX_NAME_LENGTH} characters once trimmed`, 'input.name');
  }
  if (CONTROL.test(name)) throw badUserInput('"input.name" must not contain control characters', 'input.name');
  return name;
}

function avatarUrlOf(value: string | null): string | null {
  if (value === null) return null;
  const invalid = () =>
    badUserInput(
      `"input.avatarUrl" must be an https URL of at most ${MAX_AVATAR_URL_LENGTH} characters`,
      'input.avatarUrl',
    );
  if (value.length > MAX_AVATAR_URL_LENGTH || /\s/.test(value)) throw invalid();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid();
  }
  // Credentials in a public picture URL would be shown to everyone who reads the profile.
  if (url.protocol !== 'https:' || url.hostname === '' || url.username !== '' || url.password !== '') throw invalid();
  return value;
}

/** The validated change an `UpdateProfileInput` asks for; BAD_USER_INPUT naming the field otherwise. */
export function profileChangeOf(input: UpdateProfileInput): ProfileChange {
  const change: ProfileChange = {};
  if (input.name !== undefined) change.name = nameOf(input.name);
  if (input.avatarUrl !== undefined) change.avatarUrl = avatarUrlOf(input.avatarUrl);
  if (Object.keys(change).length === 0)
    throw badUserInput('"input" must give at least one of name and avatarUrl', 'input');
  return change;
}

import { describe, expect, it } from 'vitest';
import { parseInstanceUrls } from './instanceUrls.ts';

describe('parseInstanceUrls', () => {
  it('reads a comma-separated list; a bare origin means its /graphql endpoint', () => {
    expect(parseInstanceUrls('http://users-0:4101, http://users-1:4101/graphql ,https://users-2/api/graphql')).toEqual([
      'http://users-0:4101/graphql',
      'http://users-1:4101/graphql',
      'https://users-2/api/graphql',
    ]);
  });

  it('refuses an empty list, a non-URL and a non-HTTP URL', () => {
    expect(() => parseInstanceUrls(' , ')).toThrow('lists no URL');
    expect(() => parseInstanceUrls('http://a:1,users-1')).toThrow('"users-1" is not a URL');
    expect(() => parseInstanceUrls('ftp://a')).toThrow('is not an http(s) URL');
  });
});

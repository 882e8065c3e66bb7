/**
 * A subgraph's instances from a comma-separated list (`USERS_URLS=http://a:4101,http://b:4101`).
 * A bare origin means its `/graphql` endpoint, the path every subgraph here serves.
 */
export function parseInstanceUrls(list: string): string[] {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('lists no URL');
  return entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`"${entry}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${entry}" is not an http(s) URL`);
    if (url.pathname === '/') url.pathname = '/graphql';
    return url.href;
  });
}

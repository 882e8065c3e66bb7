import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * Which peers may tell the gateway who the client is: the proxies in front of it, by address
 * (`cidrs`, e.g. a load balancer's subnet) or by how many there are (`hops`, when their addresses
 * change). Without it the socket's address is the client, and proxy headers are ignored, since
 * anyone can send them.
 */
export type TrustedProxies = { hops: number } | { cidrs: string[] };

/** `TRUSTED_PROXIES`: a hop count (`1`) or a comma-separated list of addresses and CIDRs (`10.0.0.0/8, ::1`). */
export function parseTrustedProxies(value: string | undefined): TrustedProxies | null {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops < 1 || hops > 10) throw new Error(`TRUSTED_PROXIES: a hop count must be between 1 and 10, got ${text}`);
    return { hops };
  }
  const cidrs = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const cidr of cidrs) subnetOf(cidr);
  return { cidrs };
}

function subnetOf(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', bits] = cidr.split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (
    version === 0 ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (bits !== undefined && !/^\d+$/.test(bits))
  )
    throw new Error(`TRUSTED_PROXIES: "${cidr}" is neither an address nor a CIDR (10.0.0.0/8, fd00::/8)`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
function normalized(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1]! : address).toLowerCase();
}

/** An address as a `Forwarded` or `X-Forwarded-For` element writes it: quoted, bracketed, with a port. */
function addressOf(element: string): string | null {
  let value = element.trim().replace(/^"|"$/g, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) value = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  return isIP(value) ? normalized(value) : null;
}

/**
 * The addresses a request passed through, client first, as the proxies wrote them: RFC 7239
 * `Forwarded: for=...` when present, else `X-Forwarded-For`. An element that is no address
 * (`unknown`, an obfuscated name, garbage) is kept as null: nothing left of it can be trusted.
 */
function forwardedChain(req: IncomingMessage): Array<string | null> {
  const forwarded = req.headers.forwarded;
  if (forwarded) {
    return forwarded.split(',').map((element) => {
      const pair = element
        .split(';')
        .map((p) => p.trim())
        .find((p) => p.toLowerCase().startsWith('for='));
      return pair ? addressOf(pair.slice(4)) : null;
    });
  }
  const header = req.headers['x-forwarded-for'];
  const list = Array.isArray(header) ? header.join(',') : (header ?? '');
  return list.trim() === '' ? [] : list.split(',').map(addressOf);
}

/**
 * The client's address for anonymous budgets. Behind trusted proxies, walk the chain from the socket
 * towards the client and stop at the first hop not trusted: with `cidrs`, the first address outside
 * them; with `hops`, the address that many hops from the socket. An attacker may prepend anything to
 * the header, but only what the trusted proxies appended is read.
 */
export function clientAddress(req: IncomingMessage, trusted: TrustedProxies | null): string {
  const socket = normalized(req.socket.remoteAddress ?? 'unknown');
  if (!trusted) return socket;
  const chain = [...forwardedChain(req), socket];
  if ('hops' in trusted) {
    // chain[last] is the socket (hop 0); each trusted proxy appended the address it saw.
    for (let i = chain.length - 1, hop = 0; i >= 0; i--, hop++) {
      const address = chain[i];
      if (address === null || address === undefined) return chain[i + 1] ?? socket;
      if (hop === trusted.hops || i === 0) return address;
    }
    return socket;
  }
  const list = blockListOf(trusted.cidrs);
  for (let i = chain.length - 1; i >= 0; i--) {
    const address = chain[i];
    if (address === null || address === undefined) return chain[i + 1] ?? socket;
    if (!list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6') || i === 0) return address;
  }
  return socket;
}

const blockLists = new WeakMap<string[], BlockList>();

function blockListOf(cidrs: string[]): BlockList {
  let list = blockLists.get(cidrs);
  if (!list) {
    list = new BlockList();
    for (const cidr of cidrs) {
      const { address, prefix, family } = subnetOf(cidr);
      list.addSubnet(address, prefix, family);
    }
    blockLists.set(cidrs, list);
  }
  return list;
}

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, parseTrustedProxies } from './clientIp.ts';

const request = (socket: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress: socket }, headers }) as unknown as IncomingMessage;

describe('clientAddress', () => {
  it('is the socket address without TRUSTED_PROXIES, whatever the headers say', () => {
    expect(clientAddress(request('10.0.0.5', { 'x-forwarded-for': '1.2.3.4' }), null)).toBe('10.0.0.5');
    expect(clientAddress(request('::ffff:10.0.0.5'), null)).toBe('10.0.0.5');
  });

  it('behind trusted CIDRs, takes the first address from the right that is not a proxy', () => {
    const trusted = parseTrustedProxies('10.0.0.0/8, fd00::/8');
    expect(clientAddress(request('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.1.2.3' }), trusted)).toBe(
      '203.0.113.7',
    );
    // A peer outside the list is the client itself: its headers are not read.
    expect(clientAddress(request('198.51.100.1', { 'x-forwarded-for': '203.0.113.7' }), trusted)).toBe('198.51.100.1');
    expect(
      clientAddress(request('10.0.0.1', { forwarded: 'for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"' }), trusted),
    ).toBe('2001:db8::1');
    // Garbage stops the walk at the last hop a trusted proxy wrote.
    expect(clientAddress(request('10.0.0.1', { 'x-forwarded-for': 'not-an-ip, 10.0.0.2' }), trusted)).toBe('10.0.0.2');
  });

  it('behind a hop count, takes the address that many hops from the socket', () => {
    const one = parseTrustedProxies('1');
    expect(clientAddress(request('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }), one)).toBe('203.0.113.7');
    expect(clientAddress(request('10.0.0.1'), one)).toBe('10.0.0.1');
    const two = parseTrustedProxies('2');
    expect(clientAddress(request('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.9' }), two)).toBe(
      '203.0.113.7',
    );
  });

  it('refuses a TRUSTED_PROXIES it cannot read', () => {
    expect(parseTrustedProxies('')).toBeNull();
    expect(() => parseTrustedProxies('0')).toThrow('TRUSTED_PROXIES');
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow('TRUSTED_PROXIES');
    expect(() => parseTrustedProxies('proxy.internal')).toThrow('TRUSTED_PROXIES');
  });
});

// Which addresses a subscriber's webhook may reach: public unicast only. Loopback, private,
// link-local, shared (CGNAT), documentation, benchmarking, multicast and reserved ranges are
// refused, in IPv4 and IPv6 alike; IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as its IPv4 address
// (node's BlockList does so), and IPv6 forms that embed or translate to IPv4 (NAT64, 6to4, the
// deprecated IPv4-compatible ::/96) are refused outright rather than decoded.
import { BlockList, isIP } from 'node:net';

const NON_PUBLIC_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

const NON_PUBLIC_V6: ReadonlyArray<readonly [string, number]> = [
  ['::', 96], // unspecified, loopback (::1) and IPv4-compatible
  ['64:ff9b::', 96], ['64:ff9b:1::', 48], // NAT64
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const nonPublic = new BlockList();
for (const [net, prefix] of NON_PUBLIC_V4) nonPublic.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of NON_PUBLIC_V6) nonPublic.addSubnet(net, prefix, 'ipv6');

/** True for a public unicast IP address; false for anything else, including text that is no address. */
export function isPublicAddress(address: string): boolean {
  // A zone (fe80::1%eth0) only ever scopes a link-local address: judge the address without it.
  const bare = address.split('%')[0] ?? '';
  const family = isIP(bare);
  if (family === 0) return false;
  return !nonPublic.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

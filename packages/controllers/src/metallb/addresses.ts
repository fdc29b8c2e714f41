/**
 * IPv4 address arithmetic for MetalLB's address pools: an address pool entry is a CIDR
 * (`192.168.1.240/28`) or an inclusive range (`192.168.10.0-192.168.10.9`), as MetalLB's
 * `config.ParseCIDR` reads them. Addresses are held as unsigned 32-bit integers.
 *
 * IPv6 entries parse (MetalLB accepts them) but allocate nothing here: kubeloop's Services are
 * IPv4 single-stack.
 *
 * @module
 */

/** An inclusive range of IPv4 addresses, as 32-bit unsigned integers (`first <= last`). */
export interface AddressRange {
  readonly first: number;
  readonly last: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The 32-bit value of a dotted-quad IPv4 address, or undefined when `text` is not one. */
export function parseIPv4(text: string): number | undefined {
  const m = IPV4.exec(text.trim());
  if (m === null) return undefined;
  const parts = m.slice(1, 5).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** The dotted-quad text of a 32-bit address: `formatIPv4(3232235776)` is `192.168.1.0`. */
export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Whether `text` looks like an IPv6 address (it has a colon); MetalLB accepts them, kubeloop skips them. */
function isIPv6(text: string): boolean {
  return text.includes(':');
}

/**
 * One pool entry as an address range: `undefined` range for a well-formed IPv6 entry (skipped),
 * an `error` worded as MetalLB's `ParseCIDR` for a malformed one.
 *
 * @example
 * ```ts
 * parseAddressEntry('192.168.1.240/28'); // { range: { first: …240, last: …255 } } (16 addresses)
 * parseAddressEntry('10.0.0.1-10.0.0.3'); // 3 addresses
 * parseAddressEntry('10.0.0.3-10.0.0.1'); // { error: 'invalid IP range "10.0.0.3-10.0.0.1": start IP "10.0.0.3" is after the end IP "10.0.0.1"' }
 * ```
 */
export function parseAddressEntry(entry: string): { readonly range?: AddressRange | undefined; readonly error?: string | undefined } {
  const text = entry.trim();
  if (!text.includes('-')) {
    const [ip, bitsText, ...rest] = text.split('/');
    const bits = Number(bitsText);
    if (ip === undefined || bitsText === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bitsText)) return { error: `invalid CIDR "${entry}"` };
    if (isIPv6(ip)) return bits <= 128 ? {} : { error: `invalid CIDR "${entry}"` };
    const base = parseIPv4(ip);
    if (base === undefined || bits > 32) return { error: `invalid CIDR "${entry}"` };
    const size = 2 ** (32 - bits);
    const first = Math.floor(base / size) * size;
    return { range: { first, last: first + size - 1 } };
  }
  const fs = text.split('-');
  if (fs.length !== 2) return { error: `invalid IP range "${entry}"` };
  const [a, b] = [fs[0]!.trim(), fs[1]!.trim()];
  if (isIPv6(a) || isIPv6(b)) return {};
  const start = parseIPv4(a);
  if (start === undefined) return { error: `invalid IP range "${entry}": invalid start IP "${a}"` };
  const end = parseIPv4(b);
  if (end === undefined) return { error: `invalid IP range "${entry}": invalid end IP "${b}"` };
  if (start > end) return { error: `invalid IP range "${entry}": start IP "${a}" is after the end IP "${b}"` };
  return { range: { first: start, last: end } };
}

/**
 * MetalLB's `ipConfusesBuggyFirmwares`: an IPv4 address ending in `.0` or `.255`, which some
 * consumer equipment drops; a pool with `avoidBuggyIPs` never hands them out.
 */
export function confusesBuggyFirmwares(value: number): boolean {
  const last = value & 255;
  return last === 0 || last === 255;
}

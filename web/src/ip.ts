// Address syntax, checked before a value goes into a filter (the server refuses a bad
// one too, but a search box should not send it).
const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return v4.test(s);
}

export function isIPv6(s: string): boolean {
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  try {
    // The URL parser knows IPv6 syntax (and embedded IPv4) exactly.
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

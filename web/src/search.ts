// What a search box entry looks like, and so where to look for it.
import { isIP } from "./ip";

export type Kind = "ip" | "cidr" | "mac" | "number" | "text";

export function classify(raw: string): { kind: Kind; value: string } {
  const value = raw.trim();
  if (isIP(value)) return { kind: "ip", value };
  const slash = value.lastIndexOf("/");
  if (slash > 0 && isIP(value.slice(0, slash)) && /^\d{1,3}$/.test(value.slice(slash + 1))) {
    const bits = Number(value.slice(slash + 1));
    if (bits <= (value.includes(":") ? 128 : 32)) return { kind: "cidr", value };
  }
  if (/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(value))
    // As Pivot stores MACs (the MacAddr scalar): upper case, with colons.
    return { kind: "mac", value: value.toUpperCase().replaceAll("-", ":") };
  if (/^#?\d{1,9}$/.test(value)) return { kind: "number", value: value.replace("#", "") };
  return { kind: "text", value };
}

/** A LIKE pattern that matches `text` anywhere, with LIKE's own characters taken literally. */
export function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

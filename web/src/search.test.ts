import { describe, expect, it } from "vitest";
import { classify, contains } from "./search";

describe("classify", () => {
  it.each([
    ["10.0.0.1", "ip"],
    [" 2001:db8::1 ", "ip"],
    ["::ffff:10.0.0.1", "ip"],
    ["10.0.0.0/8", "cidr"],
    ["2001:db8::/32", "cidr"],
    ["10.0.0.0/33", "text"],
    ["256.1.1.1", "text"],
    ["00:11:22:AA:bb:cc", "mac"],
    ["00-11-22-aa-bb-cc", "mac"],
    ["#42", "number"],
    ["42", "number"],
    ["ET SCAN nmap", "text"],
    ["evil.example.com", "text"],
    ["1:2", "text"],
  ])("%s is %s", (input, kind) => {
    expect(classify(input).kind).toBe(kind);
  });

  it("normalises a MAC as Pivot stores it: upper case with colons", () => {
    expect(classify("00-11-22-aa-bb-cc").value).toBe("00:11:22:AA:BB:CC");
  });
});

describe("contains", () => {
  it("escapes LIKE's wildcards", () => {
    expect(contains("50%_off\\")).toBe("%50\\%\\_off\\\\%");
  });
});

// The investigator's walk through the app, in a real browser against the real server.
// Expected values come from the files imported (tests/serve.sh), never from Pivot.
import { readFileSync, writeFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { api, expect, fixture, jsonLines, password, read, shot, signIn, test, testData } from "./fixtures";

/** Open TCP ports of 127.0.0.1 in nmap-localhost.xml, read from the XML itself. */
function openPorts(): number[] {
  const xml = read(fixture("nmap-localhost.xml"));
  return [...xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="open"/g)].map((m) =>
    Number(m[1]),
  );
}

test("a wrong password is said plainly, then sign in and out", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  // A first visit: no session ever was, so none "has ended".
  await expect(page.getByText("Your session has ended")).toHaveCount(0);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
  await shot(page, "sign-in");
  await page.getByLabel("Password").fill("admin-password-e2e");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await shot(page, "dashboard");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
});

/** Pivot's severity of a Suricata alert (README: 1 → CRITICAL, 2 → ERROR, 3 → WARNING, 4+ → NOTICE). */
const suricataSeverity = (s: number) =>
  s <= 1 ? "CRITICAL" : s === 2 ? "ERROR" : s === 3 ? "WARNING" : "NOTICE";

/** How many times each key occurs, most frequent first. */
function tally<T>(items: T[], key: (t: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const t of items) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}

// First of the tests that read shared data: nothing but tests/serve.sh's files is in yet.
test("the dashboard sums up what was imported: alerts by severity, top talkers, open cases, imports", async ({
  page,
  baseURL,
}) => {
  const alerts = jsonLines(testData("suricata/eve.json")).filter((e) => e.event_type === "alert");
  const high = alerts.filter((a) => a.alert.severity <= 2).length;
  const conn = jsonLines(testData("zeek/conn.json"));
  const [[topTalker, topCount]] = tally(conn, (f) => f["id.orig_h"]);
  const admin = await api(baseURL as string);
  const customer = await admin.call('mutation { createCustomer(name: "E2E dashboard customer") { id } }');
  const name = `E2E dashboard case ${Date.now()}`;
  const made = await admin.call(
    "mutation($n: String!, $c: ID!) { createCase(input: { name: $n, customerId: $c }) { number } }",
    { n: name, c: customer.createCustomer.id },
  );
  await admin.dispose();
  await signIn(page);
  const box = page.getByRole("region", { name: /^Alerts/ });
  await expect(box.getByRole("heading")).toHaveText(`Alerts ${alerts.length}`);
  for (const [severity, n] of tally(alerts, (a) => suricataSeverity(a.alert.severity)))
    await expect(box.getByRole("link", { name: `${severity} ${n}`, exact: true })).toBeVisible();
  await expect(box.getByRole("img", { name: new RegExp(`^Error and above: ${high} in`) })).toBeVisible();
  await expect(
    box.getByRole("img", { name: new RegExp(`^Below error: ${alerts.length - high} in`) }),
  ).toBeVisible();
  const talkers = page.getByRole("region", { name: `Top talkers (${conn.length} flows)` });
  await expect(talkers.getByRole("listitem").first().getByRole("link")).toHaveText(topTalker);
  await expect(talkers.getByRole("listitem").first().locator(".count")).toHaveText(String(topCount));
  const cases = page.getByRole("region", { name: /^Open cases/ });
  await expect(cases.getByRole("heading")).toHaveText("Open cases 1");
  await expect(cases.getByRole("link", { name: `#${made.createCase.number} ${name}` })).toBeVisible();
  const imports = page.getByRole("region", { name: "Latest imports" });
  for (const file of ["nmap-localhost.xml", "test-T22.xml", "conn.json", "dns.log", "eve.json"])
    await expect(imports.getByText(file, { exact: false })).toBeVisible();
  await shot(page, "dashboard-content");
  // Every alert in the files is from 2026-01-15: none in the last 24 hours.
  await page.getByLabel("Period").selectOption("day");
  await expect(box.getByRole("heading")).toHaveText("Alerts 0");
  // A severity opens the alerts list filtered by it.
  await page.getByLabel("Period").selectOption("all");
  await box.getByRole("link", { name: /^CRITICAL/ }).click();
  await expect(page).toHaveURL(/\/alerts\?severity=CRITICAL/);
});

test("search an address, open the host, see its ports and alerts", async ({ page, baseURL }) => {
  const admin = await api(baseURL as string);
  const title = `E2E host alert ${Date.now()}`;
  await admin.call(
    'mutation($t: String!) { createAlert(input: { kind: "network", type: "e2e", severity: ERROR, title: $t, srcIp: "127.0.0.1" }) { id } }',
    { t: title },
  );
  await admin.dispose();
  await signIn(page);
  await page.getByRole("searchbox").fill("127.0.0.1");
  await page.getByRole("searchbox").press("Enter");
  await expect(page.getByRole("heading", { name: "Search: 127.0.0.1" })).toBeVisible();
  const hosts = page.getByRole("region", { name: "Hosts" });
  await expect(hosts.getByRole("link", { name: /127\.0\.0\.1/ })).toBeVisible();
  await shot(page, "search");
  // Keyboard: the first result is focused with the arrow key and opened with Enter.
  await hosts.getByRole("link", { name: /127\.0\.0\.1/ }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: /^127\.0\.0\.1/ })).toBeVisible();
  const ports = page.getByRole("region", { name: /Ports/ });
  const expected = openPorts();
  expect(expected.length).toBeGreaterThan(0);
  for (const p of expected)
    await expect(ports.getByRole("cell", { name: `${p}/tcp`, exact: true })).toBeVisible();
  await expect(
    page.getByRole("region", { name: /^Alerts/ }).getByRole("link", { name: title }),
  ).toBeVisible();
  await shot(page, "host");
});

test("a new alert appears on the open alerts page without a reload", async ({ page, baseURL }) => {
  await signIn(page);
  await page.goto("/alerts");
  await expect(page.getByRole("status").filter({ hasText: "live" })).toHaveText("● live");
  const title = `E2E live alert ${Date.now()}`;
  const admin = await api(baseURL as string);
  await admin.call(
    'mutation($t: String!) { createAlert(input: { kind: "network", type: "e2e", severity: CRITICAL, title: $t, srcIp: "192.0.2.99" }) { id } }',
    { t: title },
  );
  await admin.dispose();
  await expect(page.getByRole("link", { name: title })).toBeVisible();
  await shot(page, "alerts");
});

test("a dropped live connection resumes with the alerts it missed", async ({ page, baseURL }) => {
  // The page's WebSocket goes through the test, which can cut it.
  const sockets: import("@playwright/test").WebSocketRoute[] = [];
  await page.routeWebSocket("**/graphql/ws", (ws) => {
    ws.connectToServer();
    sockets.push(ws);
  });
  await signIn(page);
  await page.goto("/alerts");
  const badge = page.getByRole("status").filter({ hasText: /live|connecting/ });
  await expect(badge).toHaveText("● live");
  const admin = await api(baseURL as string);
  const before = `E2E before the cut ${Date.now()}`;
  await admin.call(
    'mutation($t: String!) { createAlert(input: { kind: "network", type: "e2e", severity: NOTICE, title: $t }) { id } }',
    { t: before },
  );
  await expect(page.getByRole("link", { name: before })).toBeVisible();
  // Cut the connection, and raise an alert while the page is away.
  const open = sockets.length;
  await sockets[open - 1].close({ code: 1012, reason: "test: service restart" });
  const during = `E2E during the cut ${Date.now()}`;
  await admin.call(
    'mutation($t: String!) { createAlert(input: { kind: "network", type: "e2e", severity: NOTICE, title: $t }) { id } }',
    { t: during },
  );
  await admin.dispose();
  // The page reconnects by itself and receives what it missed, once.
  await expect(page.getByRole("link", { name: during })).toBeVisible({ timeout: 20_000 });
  expect(sockets.length).toBeGreaterThan(open);
  await expect(badge).toHaveText("● live");
  await expect(page.getByRole("link", { name: before })).toHaveCount(1);
  await expect(page.getByRole("link", { name: during })).toHaveCount(1);
});

test("create a case with an IOC and a note", async ({ page, baseURL }) => {
  // Cases belong to a customer, which an administrator makes.
  const admin = await api(baseURL as string);
  const customer = `E2E customer ${Date.now()}`;
  await admin.call("mutation($n: String!) { createCustomer(name: $n) { id } }", { n: customer });
  await admin.dispose();
  await signIn(page, "analyst");
  await page.goto("/cases");
  const name = `E2E case ${Date.now()}`;
  const form = page.getByRole("form", { name: "New case" });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Customer").selectOption({ label: customer });
  await form.getByLabel("Description").fill("Opened by the browser test");
  await form.getByRole("button", { name: "Open case" }).click();
  await expect(page.getByRole("heading", { name: new RegExp(name) })).toBeVisible();
  const ioc = page.getByRole("form", { name: "Add IOC" });
  await ioc.getByLabel("Type").selectOption("domain");
  await ioc.getByLabel("Value").fill("evil.example.com");
  await ioc.getByLabel("TLP").selectOption("RED");
  await ioc.getByRole("button", { name: "Add IOC" }).click();
  const iocs = page.getByRole("region", { name: /^IOCs/ });
  await expect(iocs.getByRole("link", { name: "evil.example.com" })).toBeVisible();
  await expect(iocs.getByText("TLP:RED")).toBeVisible();
  const note = page.getByRole("form", { name: "New note", exact: true });
  await note.getByLabel("Title").fill("First look");
  // Markup is text: it must be shown as typed, never run.
  await note.getByLabel("Text").fill("<img src=x onerror=alert(1)> **not bold**");
  await note.getByRole("button", { name: "Add note" }).click();
  const shown = page.getByRole("article", { name: "First look" });
  await expect(shown.getByText("<img src=x onerror=alert(1)> **not bold**")).toBeVisible();
  await shot(page, "case");
});

test("the graph starts at a host and expands one hop", async ({ page }) => {
  await signIn(page);
  await page.goto("/hosts/192.0.2.10");
  await page.getByRole("link", { name: "Open in graph" }).click();
  const graph = page.getByRole("img", { name: /Graph of \d+ nodes/ });
  await expect(graph).toBeVisible();
  // 192.0.2.10 has flows in conn.json: its peers are its neighbours.
  const conn = read(testData("zeek/conn.json"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const peers = new Set(
    conn.flatMap((f) =>
      f["id.orig_h"] === "192.0.2.10"
        ? [f["id.resp_h"]]
        : f["id.resp_h"] === "192.0.2.10"
          ? [f["id.orig_h"]]
          : [],
    ),
  );
  expect(peers.size).toBeGreaterThan(0);
  // ...and so are the Suricata alerts it was part of (eve.json).
  const alerts = read(testData("suricata/eve.json"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.event_type === "alert" && (e.src_ip === "192.0.2.10" || e.dest_ip === "192.0.2.10"));
  await expect(page.getByText(`${1 + peers.size + alerts.length} nodes`, { exact: true })).toBeVisible();
  await shot(page, "graph");
});

test("an import shows its summary, and a bad file a clear error", async ({ page }) => {
  await signIn(page);
  await page.goto("/import");
  await page.getByLabel("Suricata eve.json").check();
  await page.getByLabel(/^File/).setInputFiles(testData("suricata/eve-bad.json"));
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("alert")).toContainText("eve-bad.json");
  // A file of T443's masscan hosts: every <host> is one record read.
  const xml = read(fixture("ivre-test-samples/test-T443.xml"));
  const hosts = (xml.match(/<host[ >]/g) ?? []).length;
  await page.getByLabel("nmap or masscan XML").check();
  await page.getByLabel(/^File/).setInputFiles(fixture("ivre-test-samples/test-T443.xml"));
  await page.getByRole("button", { name: "Import" }).click();
  const summary = page.getByRole("region", { name: "Imported" });
  await expect(summary).toBeVisible({ timeout: 30_000 });
  await expect(summary.getByRole("definition").first()).toHaveText(String(hosts));
  await shot(page, "import");
});

test("the explorer runs a query on the signed-in session", async ({ page }) => {
  await signIn(page);
  await page.goto("/graphiql");
  await expect(page.getByRole("status")).toHaveText(/Signed in as admin/);
  // The editor takes a moment to come up: run until the answer is there.
  await expect(async () => {
    await page.getByRole("button", { name: /Execute query/ }).click();
    await expect(page.locator(".graphiql-response")).toContainText('"username": "admin"', { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await shot(page, "explorer");
});

test("a viewer is offered no writes, and a refused page says why", async ({ page }) => {
  await signIn(page, "viewer");
  await page.goto("/cases");
  await expect(page.getByRole("heading", { name: "Cases" })).toBeVisible();
  await expect(page.getByRole("form", { name: "New case" })).toHaveCount(0);
  await page.goto("/alerts");
  await expect(page.getByRole("toolbar", { name: "Selected alerts" })).toHaveCount(0);
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Administration" }),
  ).toHaveCount(0);
  await page.goto("/admin");
  await expect(page.getByRole("alert").first()).toContainText("Your role does not allow this");
  await shot(page, "viewer-refused");
});

test("a session that ends sends the user back to sign in", async ({ page, baseURL }) => {
  const admin = await api(baseURL as string);
  const made = await admin.call(
    'mutation { createUser(input: { username: "leaver", password: "leaver-password-e2e", role: ANALYST }) { id } }',
  );
  await signIn(page, "leaver");
  await admin.call("mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { id } }", {
    id: made.createUser.id,
  });
  await admin.dispose();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(page.getByText("Your session has ended. Sign in again.")).toBeVisible();
});

for (const path of ["/", "/alerts", "/flows", "/cases", "/hosts/127.0.0.1", "/import", "/admin"]) {
  test(`no serious accessibility violation on ${path}`, async ({ page }) => {
    await signIn(page);
    await page.goto(path);
    await page.waitForLoadState("networkidle");
    await shot(page, `page${path.replaceAll("/", "-")}`);
    const result = await new AxeBuilder({ page }).analyze();
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
  });
}

test("alerts attached to a case from the list; the case closed and reopened; a token shown once", async ({
  page,
  baseURL,
}) => {
  const admin = await api(baseURL as string);
  const customer = await admin.call('mutation { createCustomer(name: "E2E attach customer") { id } }');
  const name = `E2E attach case ${Date.now()}`;
  const made = await admin.call(
    "mutation($n: String!, $c: ID!) { createCase(input: { name: $n, customerId: $c }) { number } }",
    {
      n: name,
      c: customer.createCustomer.id,
    },
  );
  await admin.dispose();
  await signIn(page);
  await page.goto("/alerts?severity=CRITICAL");
  const table = page.getByRole("table", { name: "Alerts" });
  await table.getByRole("checkbox").first().check();
  const title = (await table.getByRole("row").nth(1).getByRole("link").first().textContent()) ?? "";
  await page
    .getByRole("toolbar", { name: "Selected alerts" })
    .getByRole("combobox")
    .selectOption({ label: `#${made.createCase.number} ${name}` });
  await page.getByRole("button", { name: "Attach to case" }).click();
  await expect(page.getByText(/1 attached to case #\d+/)).toBeVisible();
  await page.goto("/cases");
  await page.getByRole("link", { name }).click();
  await expect(
    page.getByRole("region", { name: /Linked alerts/ }).getByRole("link", { name: title }),
  ).toBeVisible();
  await page.getByRole("button", { name: "Close case" }).click();
  await expect(page.getByRole("button", { name: "Reopen case" })).toBeVisible();
  await page.getByRole("button", { name: "Reopen case" }).click();
  await expect(page.getByRole("button", { name: "Close case" })).toBeVisible();
  await page.goto("/admin/tokens");
  await page.getByLabel("What it is for").fill("e2e script");
  await page.getByRole("button", { name: "Make a token" }).click();
  await expect(page.getByText(/Your new token .*pvt_/)).toBeVisible();
  await page.reload();
  await expect(page.getByText("e2e script")).toBeVisible();
  await expect(page.getByText(/pvt_/)).toHaveCount(0);
});

test("search results are walked with the arrow keys", async ({ page }) => {
  await signIn(page);
  await page.keyboard.press("/");
  await expect(page.getByRole("searchbox")).toBeFocused();
  await page.keyboard.type("192.0.2.10");
  await page.keyboard.press("Enter");
  const hosts = page.getByRole("region", { name: "Hosts" });
  await hosts.getByRole("link").first().focus();
  await page.keyboard.press("ArrowDown");
  // The next result (an alert of that host) has the focus; Enter opens it.
  const focused = page.locator(".results a:focus");
  await expect(focused).toHaveAttribute("data-index", "1");
  await page.keyboard.press("ArrowUp");
  await expect(focused).toHaveAttribute("data-index", "0");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: /^192\.0\.2\.10/ })).toBeVisible();
});

test("the explorer keeps its history and runs a subscription over /graphql/ws", async ({ page, baseURL }) => {
  // The explorer's editor is slow to come up on a busy machine.
  test.setTimeout(60_000);
  const sockets: string[] = [];
  page.on("websocket", (ws) => sockets.push(new URL(ws.url()).pathname));
  await signIn(page);
  await page.goto("/graphiql");
  await expect(page.getByRole("status")).toHaveText(/Signed in as admin/);
  await expect(async () => {
    await page.getByRole("button", { name: /Execute query/ }).click();
    await expect(page.locator(".graphiql-response")).toContainText('"username": "admin"', { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  // History survives a reload: the query just run is listed, and opening it brings it back.
  await page.reload();
  await page.getByRole("button", { name: "Show History" }).click();
  const history = page.locator(".graphiql-history-item");
  await expect(history.first()).toContainText("me { username role }");
  // A subscription, typed into the editor, runs over the WebSocket and shows each alert.
  const title = `E2E explorer subscription ${Date.now()}`;
  await page.locator(".graphiql-query-editor .monaco-editor").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(
    'subscription { alertCreated(filter: { type: { eq: "e2e-explorer" } }) { title } }',
  );
  await page.getByRole("button", { name: /Execute (query|subscription)/ }).click();
  // The subscription is open when the server has it: raise alerts until one arrives.
  const admin = await api(baseURL as string);
  await expect(async () => {
    await admin.call(
      'mutation($t: String!) { createAlert(input: { kind: "network", type: "e2e-explorer", severity: NOTICE, title: $t }) { id } }',
      { t: title },
    );
    await expect(page.locator(".graphiql-response")).toContainText(title, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await admin.dispose();
  expect(sockets).toContain("/graphql/ws");
  await shot(page, "explorer-subscription");
});

test("repeated wrong passwords are refused for a while, and the page says so", async ({ page, baseURL }) => {
  const admin = await api(baseURL as string);
  await admin.call(
    'mutation { createUser(input: { username: "throttled", password: "throttled-password-e2e", role: VIEWER }) { id } }',
  );
  await admin.dispose();
  await page.goto("/");
  await page.getByLabel("Username").fill("throttled");
  // Five failures for one username (auth::login::MAX_PER_USERNAME)...
  for (let i = 0; i < 5; i++) {
    await page.getByLabel("Password").fill(`wrong-${i}`);
    const answered = page.waitForResponse(
      (r) => r.url().endsWith("/graphql") && r.request().method() === "POST",
    );
    await page.getByRole("button", { name: "Sign in" }).click();
    await answered;
    await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
  }
  // ...and even the right password is refused, with the reason.
  await page.getByLabel("Password").fill(password("throttled"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Too many failed attempts");
  await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await shot(page, "sign-in-rate-limited");
});

test("an alert's packet capture downloads as a pcap file", async ({ page }, info) => {
  // One Suricata alert carrying the packet that raised it (`packet: yes` in eve.json).
  const packet = Buffer.from(Array.from({ length: 54 }, (_, i) => (i * 7 + 3) % 256));
  const signature = `PIVOT E2E pcap ${Date.now()}`;
  const eve = info.outputPath("eve-pcap.json");
  const line = {
    timestamp: "2026-01-15T11:00:00.000000+0000",
    flow_id: 4242424242,
    event_type: "alert",
    src_ip: "192.0.2.44",
    src_port: 40404,
    dest_ip: "198.51.100.44",
    dest_port: 80,
    proto: "TCP",
    alert: {
      action: "allowed",
      gid: 1,
      signature_id: 4242,
      rev: 1,
      signature,
      category: "Test",
      severity: 1,
    },
    packet: packet.toString("base64"),
    packet_info: { linktype: 1 },
  };
  writeFileSync(eve, `${JSON.stringify(line)}\n`);
  await signIn(page);
  await page.goto("/import");
  await page.getByLabel("Suricata eve.json").check();
  await page.getByLabel(/^File/).setInputFiles(eve);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("region", { name: "Imported" })).toBeVisible({ timeout: 30_000 });
  await page.goto("/alerts");
  await page.getByRole("link", { name: signature }).click();
  const download = page.waitForEvent("download");
  await page
    .getByRole("region", { name: "Packet capture" })
    .getByRole("link", { name: `Download (1 packets, ${packet.length} bytes)` })
    .click();
  const file = readFileSync(await (await download).path());
  // libpcap: a 24-byte file header (magic a1b2c3d4, little-endian), a 16-byte record
  // header, then the packet as the sensor logged it.
  expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect(file.readUInt32LE(20)).toBe(1);
  expect(file.length).toBe(24 + 16 + packet.length);
  expect(file.readUInt32LE(24)).toBe(Date.parse(line.timestamp) / 1000);
  expect(file.subarray(40).equals(packet)).toBe(true);
});

test.describe("in UTC", () => {
  test.use({ timezoneId: "UTC" });
  test("the flows explorer filters by address, network, protocol and time, and keeps them in the URL", async ({
    page,
  }) => {
    const conn = read(testData("zeek/conn.json"))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const of = (ip: string) => conn.filter((f) => f["id.orig_h"] === ip || f["id.resp_h"] === ip);
    // 192.0.2.99 is in conn.json only (none of the other imported files names it).
    const lone = of("192.0.2.99");
    expect(lone.length).toBe(1);
    await signIn(page);
    await page.goto("/flows");
    const filters = page.getByRole("form", { name: "Flow filters" });
    const table = page.getByRole("table", { name: "Flows" });
    const foot = page.locator(".tfoot");
    await filters.getByLabel("Address or network").fill("192.0.2.99");
    await filters.getByLabel("Address or network").press("Enter");
    await expect(page).toHaveURL(/host=192\.0\.2\.99/);
    await expect(foot).toHaveText(`${lone.length} of ${lone.length} shown`);
    await expect(table.getByRole("row").nth(1)).toContainText(lone[0]["id.resp_h"]);
    const talkers = page.getByRole("region", { name: "Top talkers" });
    await expect(talkers.getByRole("link", { name: "192.0.2.99" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Top destination ports" })).toContainText(
      String(lone[0]["id.resp_p"]),
    );
    // A network: the /30 around it holds the same one flow.
    await filters.getByLabel("Address or network").fill("192.0.2.96/30");
    await filters.getByLabel("Address or network").press("Enter");
    await expect(foot).toHaveText(`${lone.length} of ${lone.length} shown`);
    // Its protocol matches; another does not.
    await filters.getByLabel("Protocol").selectOption(lone[0].proto.toUpperCase());
    await expect(foot).toHaveText("1 of 1 shown");
    await filters.getByLabel("Protocol").selectOption("UDP");
    await expect(foot).toHaveText("Nothing matches.");
    await filters.getByLabel("Protocol").selectOption("");
    // Time: up to a minute before the flow started, nothing; from then on, the flow.
    const started = new Date(lone[0].ts * 1000);
    const local = (d: Date) => d.toISOString().slice(0, 16);
    await filters.getByLabel("To", { exact: true }).fill(local(new Date(started.getTime() - 60_000)));
    await expect(foot).toHaveText("Nothing matches.");
    await filters.getByLabel("To", { exact: true }).fill("");
    await filters.getByLabel("From", { exact: true }).fill(local(new Date(started.getTime() - 60_000)));
    await expect(foot).toHaveText("1 of 1 shown");
    // The filters are in the URL: a reload keeps them.
    await page.reload();
    await expect(filters.getByLabel("Address or network")).toHaveValue("192.0.2.96/30");
    await expect(foot).toHaveText("1 of 1 shown");
    // Something that is neither an address nor a network is said so.
    await filters.getByLabel("Address or network").fill("not an address");
    await filters.getByLabel("Address or network").press("Enter");
    await expect(page.getByRole("alert")).toContainText("is neither an address nor a network");
    await shot(page, "flows-filtered");
  });
});

test("a case's workspace: assets, the task board, note groups, a conflicting save merged, the timeline filtered, evidences", async ({
  page,
  baseURL,
}) => {
  const admin = await api(baseURL as string);
  const customer = await admin.call('mutation { createCustomer(name: "E2E workspace customer") { id } }');
  const name = `E2E workspace ${Date.now()}`;
  const made = await admin.call(
    "mutation($n: String!, $c: ID!) { createCase(input: { name: $n, customerId: $c }) { id number } }",
    { n: name, c: customer.createCustomer.id },
  );
  const caseId = made.createCase.id;
  // Two events from elsewhere, in two categories, for the timeline's filters.
  const events = [
    { title: "Phishing mail received", category: "initial-access", occurredAt: "2026-01-15T09:00:00Z" },
    { title: "Beacon to the C2 server", category: "command-and-control", occurredAt: "2026-01-15T10:00:00Z" },
  ];
  for (const e of events)
    await admin.call("mutation($i: CreateTimelineEventInput!) { createTimelineEvent(input: $i) { id } }", {
      i: { caseId, ...e },
    });
  await signIn(page, "analyst");
  await page.goto(`/cases/${encodeURIComponent(caseId)}`);
  await expect(page.getByRole("heading", { name: new RegExp(name) })).toBeVisible();

  // Assets: one of the seeded types, at an address that links to its host.
  const asset = page.getByRole("form", { name: "Add asset" });
  await asset.getByLabel("Name").fill("web01");
  await asset.getByLabel("Type").selectOption({ label: "Linux - Server" });
  await asset.getByLabel("IP").fill("192.0.2.10");
  await asset.getByRole("button", { name: "Add asset" }).click();
  const assets = page.getByRole("region", { name: /^Assets/ });
  await expect(assets.getByRole("listitem").filter({ hasText: "web01" })).toContainText("Linux - Server");
  await expect(assets.getByRole("link", { name: "192.0.2.10" })).toBeVisible();

  // The task board: a new task is to do; moved, it is in the done column.
  const task = page.getByRole("form", { name: "Add task" });
  await task.getByLabel("Task").fill("Collect the proxy logs");
  await task.getByRole("button", { name: "Add task" }).click();
  const board = page.getByRole("region", { name: "Tasks" });
  await expect(board.getByRole("region", { name: "todo" })).toContainText("Collect the proxy logs");
  await board.getByLabel("Status of Collect the proxy logs").selectOption("DONE");
  await expect(board.getByRole("region", { name: "done" })).toContainText("Collect the proxy logs");
  await expect(board.getByRole("region", { name: "todo" })).not.toContainText("Collect the proxy logs");

  // Note groups: a group, and a note filed under it.
  const group = page.getByRole("form", { name: "New note group" });
  await group.getByLabel("New group").fill("Triage");
  await group.getByRole("button", { name: "Add group" }).click();
  const note = page.getByRole("form", { name: "New note", exact: true });
  await note.getByLabel("Group").selectOption({ label: "Triage" });
  await note.getByLabel("Title").fill("Plan");
  await note.getByLabel("Text").fill("Look at the proxy first.");
  await note.getByRole("button", { name: "Add note" }).click();
  const notes = page.getByRole("region", { name: /^Notes/ });
  await expect(notes.getByRole("heading", { name: "Triage", level: 3 })).toBeVisible();
  const plan = notes.getByRole("article", { name: "Plan" });
  await expect(plan).toContainText("Look at the proxy first.");

  // A conflicting save: someone else saves while this page edits; nothing typed is lost.
  await plan.getByRole("button", { name: "Edit" }).click();
  await plan.getByLabel("Text").fill("Look at the proxy first, then the DNS logs.");
  const listed = await admin.call("query($s: ID!) { notes(filter: { subjectId: $s }) { nodes { id } } }", {
    s: caseId,
  });
  await admin.call(
    'mutation($id: ID!) { updateNote(id: $id, input: { body: "Their text: start with DNS." }) { id } }',
    {
      id: listed.notes.nodes[0].id,
    },
  );
  await plan.getByRole("button", { name: "Save" }).click();
  const conflict = plan.getByRole("alert");
  await expect(conflict).toContainText("Someone saved revision 2");
  await expect(conflict).toContainText("Their text: start with DNS.");
  await expect(plan.getByLabel("Text")).toHaveValue("Look at the proxy first, then the DNS logs.");
  await plan.getByLabel("Text").fill("Start with DNS, then the proxy.");
  await conflict.getByRole("button", { name: "I have merged: save over revision 2" }).click();
  await expect(plan.locator(".note-body")).toHaveText("Start with DNS, then the proxy.");
  await expect(plan).toContainText("revision 3");
  // The two earlier states are kept: the first text and theirs.
  await plan.getByText("History (2 earlier revisions)").click();
  await expect(plan.getByRole("group")).toContainText("Look at the proxy first.");
  await expect(plan.getByRole("group")).toContainText("Their text: start with DNS.");

  // The timeline, filtered by category and by text, and an event added here.
  const timeline = page.getByRole("region", { name: /^Timeline/ });
  const shown = timeline.getByRole("listitem");
  await expect(shown).toHaveCount(events.length);
  const tf = page.getByRole("form", { name: "Timeline filters" });
  await tf.getByLabel("Category").selectOption("command-and-control");
  await expect(shown).toHaveCount(1);
  await expect(shown.first()).toContainText("Beacon to the C2 server");
  await tf.getByLabel("Category").selectOption("");
  await tf.getByLabel("Contains").fill("phishing");
  await expect(shown).toHaveCount(1);
  await expect(shown.first()).toContainText("Phishing mail received");
  await tf.getByLabel("Contains").fill("");
  const add = page.getByRole("form", { name: "Add timeline event" });
  await add.getByLabel("Event").fill("Host isolated");
  await add.getByLabel("When").fill("2026-01-15T12:00");
  await add.getByRole("button", { name: "Add event" }).click();
  await expect(shown).toHaveCount(events.length + 1);
  await expect(shown.last()).toContainText("Host isolated");

  // Evidences: registered with their hash.
  const ev = page.getByRole("form", { name: "Register evidence" });
  await ev.getByLabel("File name").fill("memory.raw");
  await ev.getByLabel("Hash").fill("d41d8cd98f00b204e9800998ecf8427e");
  await ev.getByRole("button", { name: "Register evidence" }).click();
  await expect(page.getByRole("region", { name: /^Evidences/ }).getByRole("listitem")).toContainText(
    "memory.raw d41d8cd98f00b204e9800998ecf8427e",
  );

  // What was done, written down; how the case ended.
  const act = page.getByRole("form", { name: "Write down an activity" });
  await act.getByLabel("Done").fill("Isolated web01 from the network");
  await act.getByRole("button", { name: "Write down" }).click();
  await expect(page.getByRole("region", { name: /^Activity/ })).toContainText(
    "analyst: Isolated web01 from the network",
  );
  const answered = page.waitForResponse(
    (r) => r.url().endsWith("/graphql") && r.request().method() === "POST",
  );
  await page.getByLabel("Outcome").selectOption("TRUE_POSITIVE_WITH_IMPACT");
  await answered;
  const after = await admin.call(
    "query($id: ID!) { node(id: $id) { ... on Case { outcome activities { text } } } }",
    {
      id: caseId,
    },
  );
  expect(after.node).toEqual({
    outcome: "TRUE_POSITIVE_WITH_IMPACT",
    activities: [{ text: "Isolated web01 from the network" }],
  });
  await admin.dispose();
  await shot(page, "case-workspace");
});

test("administration: a user's role, grants, customers and state; customers; the audit log filtered", async ({
  page,
  baseURL,
}) => {
  await signIn(page);
  await page.goto("/admin/customers");
  const customer = `E2E admin customer ${Date.now()}`;
  await page.getByRole("textbox", { name: "Customer" }).fill(customer);
  await page.getByRole("button", { name: "Add customer" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: customer })).toBeVisible();

  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Users" }).click();
  const form = page.getByRole("form", { name: "New user" });
  await form.getByLabel("Username").fill("edited");
  await form.getByLabel("Password").fill("edited-password-e2e");
  await form.getByLabel("Role").selectOption("ANALYST");
  await form.getByRole("button", { name: "Add user" }).click();
  const row = page.getByRole("row").filter({ hasText: "edited" });
  await row.getByLabel("Role of edited").selectOption("VIEWER");
  await row.getByLabel("Extra grants of edited").fill("alerts:write");
  await row.getByLabel("Extra grants of edited").blur();
  await row.getByLabel("Customers of edited").selectOption({ label: customer });
  await row.getByRole("button", { name: "Deactivate" }).click();
  await expect(row.getByRole("button", { name: "Activate" })).toBeVisible();
  // What the server now holds, asked elsewhere.
  const admin = await api(baseURL as string);
  const users = await admin.call(
    "{ users(first: 500) { nodes { username role active capabilities customers { name } } } }",
  );
  await admin.dispose();
  const edited = users.users.nodes.find((u: { username: string }) => u.username === "edited");
  expect(edited).toMatchObject({
    role: "viewer",
    active: false,
    capabilities: ["alerts:write"],
    customers: [{ name: customer }],
  });

  // The audit log, filtered by action and by object type.
  await page
    .getByRole("navigation", { name: "Administration" })
    .getByRole("link", { name: "Audit log" })
    .click();
  const audit = page.getByRole("table", { name: "Audit log" });
  const filters = page.getByRole("form", { name: "Audit filters" });
  await filters.getByLabel("Action").fill("updateUser");
  // Role, grants, customers, state: four saves (and the earlier tests' own), nothing else.
  await expect
    .poll(() => audit.getByRole("row").filter({ hasText: "updateUser" }).count())
    .toBeGreaterThanOrEqual(4);
  await expect(audit.getByRole("row").filter({ hasNotText: "updateUser" })).toHaveCount(1); // the header
  await filters.getByLabel("Action").fill("");
  await filters.getByLabel("Object type").fill("Customer");
  await expect(audit.getByRole("row").filter({ hasText: "createCustomer" }).first()).toBeVisible();
  await expect(audit.getByRole("row").filter({ hasText: "updateUser" })).toHaveCount(0);
  await shot(page, "admin-audit");
});

test("the explorer acts as a token pasted into its headers, and shows the schema's documentation", async ({
  page,
  baseURL,
}) => {
  test.setTimeout(60_000);
  const analyst = await api(baseURL as string, "analyst");
  const made = await analyst.call('mutation { createApiToken(name: "e2e explorer") { token } }');
  await analyst.dispose();
  // Not signed in: only the token says who runs the queries.
  await page.goto("/graphiql");
  await expect(page.getByRole("status")).toContainText("Not signed in");
  await page.getByRole("button", { name: "Headers" }).click();
  await page.locator('.monaco-editor[data-uri$="-request-headers.json"]').click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${made.createApiToken.token}` }));
  await expect(async () => {
    await page.getByRole("button", { name: /Execute query/ }).click();
    await expect(page.locator(".graphiql-response")).toContainText('"username": "analyst"', {
      timeout: 2_000,
    });
  }).toPass({ timeout: 20_000 });
  // The documentation: the schema (read with the token) from its root type down to a field.
  await page.getByRole("button", { name: "Re-fetch GraphQL schema" }).click();
  await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
  const docs = page.getByRole("region", { name: "Documentation Explorer" });
  await docs.getByRole("link", { name: "Query", exact: true }).click();
  await docs.getByRole("link", { name: "host", exact: true }).click();
  await expect(docs).toContainText("The host with this address, if Pivot knows it.");
  await shot(page, "explorer-docs");
});

test("search finds networks, host names, MACs, IOC values, cases by name and number, and signatures", async ({
  page,
  baseURL,
}) => {
  const stamp = Date.now();
  const admin = await api(baseURL as string);
  const customer = await admin.call('mutation { createCustomer(name: "E2E search customer") { id } }');
  const caseName = `E2E search case ${stamp}`;
  const made = await admin.call(
    "mutation($n: String!, $c: ID!) { createCase(input: { name: $n, customerId: $c }) { id number } }",
    { n: caseName, c: customer.createCustomer.id },
  );
  const iocValue = `e2e-${stamp}.evil.example.org`;
  await admin.call(
    'mutation($v: String!, $c: ID!) { addIoc(input: { type: "domain", value: $v, caseIds: [$c] }) { id } }',
    { v: iocValue, c: made.createCase.id },
  );
  const mac = "02:00:5e:10:00:42";
  const macTitle = `E2E MAC alert ${stamp}`;
  await admin.call(
    'mutation($t: String!, $m: MacAddr!) { createAlert(input: { kind: "network", type: "e2e", severity: NOTICE, title: $t, srcMac: $m }) { id } }',
    { t: macTitle, m: mac },
  );
  await admin.dispose();
  await signIn(page);
  const search = async (q: string) => {
    await page.getByRole("searchbox").fill(q);
    await page.getByRole("searchbox").press("Enter");
    await expect(page.getByRole("heading", { name: `Search: ${q}` })).toBeVisible();
  };
  const group = (name: string) => page.getByRole("region", { name, exact: true });

  // A network: the /16 of test-T22.xml (masscan) holding most of its hosts, and no host of
  // the other files.
  const addresses = (file: string) => [
    ...new Set(
      [...read(fixture(file)).matchAll(/<address addr="([\d.]+)" addrtype="ipv4"/g)].map((m) => m[1]),
    ),
  ];
  const other = new Set(
    addresses("ivre-test-samples/test-T443.xml").map((a) => a.split(".").slice(0, 2).join(".")),
  );
  const [[net, inNet]] = tally(
    addresses("ivre-test-samples/test-T22.xml").filter((a) => !other.has(a.split(".").slice(0, 2).join("."))),
    (a) => a.split(".").slice(0, 2).join("."),
  );
  expect(inNet).toBeGreaterThan(1);
  await search(`${net}.0.0/16`);
  await expect(page.getByText("Looked for as a cidr")).toBeVisible();
  await expect(group("Hosts").locator(".count")).toHaveText(String(inNet));
  await expect(group("Hosts").getByRole("link")).toHaveCount(Math.min(10, inNet));
  // A host name (nmap's PTR name of 127.0.0.1).
  await search("localhost");
  await expect(group("Hosts").getByRole("link", { name: /127\.0\.0\.1/ })).toBeVisible();
  // A MAC, written the other way.
  await search(mac.replaceAll(":", "-"));
  await expect(page.getByText("Looked for as a mac")).toBeVisible();
  await expect(group("Alerts").getByRole("link", { name: new RegExp(macTitle) })).toBeVisible();
  // An IOC value, in part.
  await search(`e2e-${stamp}`);
  await expect(
    group("IOCs").getByRole("link", { name: new RegExp(iocValue.replaceAll(".", "\\.")) }),
  ).toBeVisible();
  // A case by name, and by number.
  const caseLink = `#${made.createCase.number} ${caseName}`;
  await search(caseName);
  await expect(group("Cases").getByRole("link", { name: new RegExp(caseLink) })).toBeVisible();
  await search(`#${made.createCase.number}`);
  await expect(group("Cases").getByRole("link", { name: new RegExp(caseLink) })).toBeVisible();
  // A signature from eve.json, in part; Enter on the result opens the alert.
  const signature: string = jsonLines(testData("suricata/eve.json")).find((e) => e.event_type === "alert")
    .alert.signature;
  await search(signature.split(" ").slice(2, 4).join(" "));
  const hit = group("Alerts").getByRole("link", { name: new RegExp(signature) });
  await expect(hit).toBeVisible();
  await hit.focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: new RegExp(signature) })).toBeVisible();
  await shot(page, "search-kinds");
});

test("Zeek and IPDR uploads show their progress; the host page shows all Pivot knows of the host", async ({
  page,
  baseURL,
}, info) => {
  test.setTimeout(120_000);
  const ip = "127.0.0.1";
  const xml = read(fixture("nmap-localhost.xml"));
  // Zeek: many flows of the host (enough for the upload to take a while on a slowed
  // link), and one DNS answer naming it.
  const flows = Array.from({ length: 4000 }, (_, i) => ({
    ts: 1768471200 + i,
    uid: `CE2Eloop${i}`,
    "id.orig_h": ip,
    "id.orig_p": 30000 + (i % 1000),
    "id.resp_h": `198.51.100.${1 + (i % 50)}`,
    "id.resp_p": 443,
    proto: "tcp",
    service: "ssl",
    duration: 1.5,
    orig_bytes: 100 + i,
    resp_bytes: 2000,
    conn_state: "SF",
  }));
  const dnsName = "e2e-loopback.example.com";
  const dns = {
    ts: "2026-01-15T10:30:00Z",
    uid: "CE2Eloopdns",
    "id.orig_h": "192.0.2.10",
    "id.orig_p": 53999,
    "id.resp_h": "192.0.2.53",
    "id.resp_p": 53,
    proto: "udp",
    query: dnsName,
    qtype_name: "A",
    rcode_name: "NOERROR",
    answers: [ip],
    TTLs: [60.0],
  };
  const zeek = info.outputPath("loopback.json");
  writeFileSync(zeek, `${[...flows, dns].map((r) => JSON.stringify(r)).join("\n")}\n`);
  const ipdr = info.outputPath("loopback-ipdr.csv");
  const subscriber = `SUB-E2E-${Date.now()}`;
  writeFileSync(
    ipdr,
    `Protocol,SrcIP,SrcPort,DestIP,DestPort,StartTime,EndTime,UserID,SubscriberID,NatIP,NatPort\nTCP,10.20.30.40,51515,${ip},443,2026-01-15T10:00:00Z,2026-01-15T10:05:00Z,user-e2e,${subscriber},198.51.100.1,40001\n`,
  );

  await signIn(page);
  await page.goto("/import");
  // A slow link, so that the upload's progress is there to be seen.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 200 * 1024,
  });
  await page.getByLabel("Zeek conn.log / dns.log").check();
  await page.getByLabel(/^File/).setInputFiles(zeek);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("progressbar", { name: "Sent" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /Sending loopback\.json: \d+%/ })).toBeVisible();
  const summary = page.getByRole("region", { name: "Imported" });
  await expect(summary).toBeVisible({ timeout: 60_000 });
  await expect(summary.getByRole("definition").first()).toHaveText(String(flows.length + 1));
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  await page.getByLabel("IPDR records (CSV)").check();
  await page.getByLabel(/^File/).setInputFiles(ipdr);
  await page.getByLabel("IPDR context").fill("e2e-loopback");
  await page.getByRole("button", { name: "Import" }).click();
  await expect(summary.getByRole("definition").first()).toHaveText("1");
  await expect(page.getByRole("region", { name: "Latest imports" })).toContainText("loopback-ipdr.csv");

  // What else Pivot knows of the host: its network, its device, an IOC naming it in a case.
  const admin = await api(baseURL as string);
  await admin.call('mutation { createNetwork(input: { name: "e2e loopback", cidr: "127.0.0.0/8" }) { id } }');
  await admin.call(
    'mutation($ip: IpAddr!) { createDevice(input: { mac: "02:00:5e:00:00:7f", lastIp: $ip, hostname: "e2e-loop-dev", vendor: "E2E Vendor" }) { id } }',
    { ip },
  );
  const customer = await admin.call('mutation { createCustomer(name: "E2E host page customer") { id } }');
  const caseName = `E2E host page case ${Date.now()}`;
  const made = await admin.call(
    "mutation($n: String!, $c: ID!) { createCase(input: { name: $n, customerId: $c }) { id number } }",
    { n: caseName, c: customer.createCustomer.id },
  );
  await admin.call(
    'mutation($v: String!, $c: ID!) { addIoc(input: { type: "ip-dst", value: $v, caseIds: [$c], tlp: AMBER }) { id } }',
    { v: ip, c: made.createCase.id },
  );
  await admin.dispose();

  await page.goto(`/hosts/${ip}`);
  await expect(page.getByRole("heading", { name: `${ip} localhost` })).toBeVisible();
  const facts = page.locator("dl.facts");
  // OS guesses, as nmap ranked them.
  const [, os, accuracy] = xml.match(/<osmatch name="([^"]+)" accuracy="(\d+)"/) ?? [];
  await expect(facts).toContainText(`${os} ${accuracy}%`);
  await expect(facts).toContainText("e2e-loop-dev (E2E Vendor)");
  await expect(facts).toContainText("e2e loopback 127.0.0.0/8");
  // NSE output and sightings of the port with scripts.
  const scripted = xml.match(
    /<port protocol="tcp" portid="(\d+)">(?:(?!<\/port>).)*?<script id="([^"]+)" output="([^"]+)"/s,
  );
  expect(scripted).not.toBeNull();
  const [, portid, script, output] = scripted as RegExpMatchArray;
  const ports = page.getByRole("region", { name: /^Ports/ });
  const row = ports
    .getByRole("row")
    .filter({ has: page.getByRole("cell", { name: `${portid}/tcp`, exact: true }) });
  await row.getByRole("button", { name: /scripts?$/ }).click();
  await expect(ports.getByText(script, { exact: true })).toBeVisible();
  await expect(ports.locator("pre").filter({ hasText: output })).toBeVisible();
  await expect(ports.getByText(/Sightings: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d open/)).toBeVisible();
  // Flows: paged, sorted by a column, and filtered by a peer.
  const flowsBox = page.getByRole("region", { name: /^Flows/ });
  await expect(flowsBox.getByRole("heading")).toHaveText(`Flows ${flows.length}`);
  const flowsFoot = flowsBox.locator(".tfoot");
  await expect(flowsFoot).toHaveText(`200 of ${flows.length} shownLoad more`);
  await flowsFoot.getByRole("button", { name: "Load more" }).click();
  await expect(flowsFoot).toHaveText(`400 of ${flows.length} shownLoad more`);
  await flowsBox.getByRole("button", { name: "Bytes out" }).click();
  await expect(flowsBox.getByRole("columnheader", { name: /Bytes out/ })).toHaveAttribute(
    "aria-sort",
    "descending",
  );
  const most = Math.max(...flows.map((f) => f.orig_bytes));
  await expect(flowsBox.getByRole("table").getByRole("row").nth(1)).toContainText(String(most));
  await flowsBox.getByLabel("Peer address").fill("198.51.100.7");
  await expect(flowsBox.getByRole("heading")).toHaveText(
    `Flows ${flows.filter((f) => f["id.resp_h"] === "198.51.100.7").length}`,
  );
  // Passive DNS, IPDR records, IOCs, cases.
  await expect(page.getByRole("region", { name: /^Passive DNS/ }).getByRole("table")).toContainText(dnsName);
  const ipdrBox = page.getByRole("region", { name: /^IPDR records/ });
  await expect(ipdrBox.getByRole("heading")).toHaveText("IPDR records 1");
  await expect(ipdrBox.getByRole("table")).toContainText(subscriber);
  await expect(page.getByRole("region", { name: "IOCs that match" })).toContainText(
    `${ip} ip-dst · TLP:AMBER`,
  );
  await expect(
    page
      .getByRole("region", { name: "Cases" })
      .getByRole("link", { name: `#${made.createCase.number} ${caseName}` }),
  ).toBeVisible();
  // A note on the host, edited once: two revisions.
  const note = page.getByRole("form", { name: "New note", exact: true });
  await note.getByLabel("Title").fill("Loopback");
  await note.getByLabel("Text").fill("Seen in the scan.");
  await note.getByRole("button", { name: "Add note" }).click();
  const written = page.getByRole("article", { name: "Loopback" });
  await written.getByRole("button", { name: "Edit" }).click();
  await written.getByLabel("Text").fill("Seen in the scan, and talking to 50 peers.");
  await written.getByRole("button", { name: "Save" }).click();
  await expect(written).toContainText("revision 2");
  await written.getByText("History (1 earlier revision)").click();
  await expect(written.locator("pre")).toHaveText("Seen in the scan.");
  await shot(page, "host-everything");
});

test("the cases list filtered by customer and by state", async ({ page, baseURL }) => {
  const stamp = Date.now();
  const admin = await api(baseURL as string);
  const customers: Record<string, string> = {};
  for (const c of ["A", "B"]) {
    const r = await admin.call("mutation($n: String!) { createCustomer(name: $n) { id } }", {
      n: `E2E cases ${c} ${stamp}`,
    });
    customers[c] = r.createCustomer.id;
  }
  const cases = [
    { name: `E2E A open ${stamp}`, customer: "A", closed: false },
    { name: `E2E A closed ${stamp}`, customer: "A", closed: true },
    { name: `E2E B open ${stamp}`, customer: "B", closed: false },
  ];
  for (const c of cases) {
    const r = await admin.call(
      "mutation($n: String!, $c: ID!) { createCase(input: { name: $n, customerId: $c }) { id } }",
      { n: c.name, c: customers[c.customer] },
    );
    if (c.closed)
      await admin.call("mutation($id: ID!) { closeCase(id: $id) { id } }", { id: r.createCase.id });
  }
  await admin.dispose();
  await signIn(page);
  await page.goto("/cases");
  const filters = page.getByRole("form", { name: "Case filters" });
  const table = page.getByRole("table");
  const expectShown = async (customer: string, state: "OPEN" | "CLOSED" | "ALL") => {
    for (const c of cases) {
      const shown = c.customer === customer && (state === "ALL" || (state === "CLOSED") === c.closed);
      await expect(table.getByRole("link", { name: c.name, exact: true })).toHaveCount(shown ? 1 : 0);
    }
  };
  await filters.getByLabel("Customer").selectOption({ label: `E2E cases A ${stamp}` });
  await expectShown("A", "OPEN");
  await expect(table.getByRole("caption")).toHaveText("1 cases");
  await filters.getByLabel("State").selectOption("CLOSED");
  await expectShown("A", "CLOSED");
  await filters.getByLabel("State").selectOption("ALL");
  await expectShown("A", "ALL");
  await expect(table.getByRole("caption")).toHaveText("2 cases");
  await filters.getByLabel("Customer").selectOption({ label: `E2E cases B ${stamp}` });
  await expectShown("B", "ALL");
  // The filters are in the URL: a reload keeps them.
  await page.reload();
  await expect(filters.getByLabel("State")).toHaveValue("ALL");
  await expectShown("B", "ALL");
  await shot(page, "cases-filtered");
});

test("the graph caps each kind of neighbour and shows the rest as one 'N more' node", async ({
  page,
  baseURL,
}) => {
  // The graph shows at most 25 neighbours of a kind (Graph.tsx, CAP).
  const cap = 25;
  const extra = 7;
  const admin = await api(baseURL as string);
  const customer = await admin.call('mutation { createCustomer(name: "E2E graph cap customer") { id } }');
  const made = await admin.call(
    "mutation($n: String!, $c: ID!) { createCase(input: { name: $n, customerId: $c }) { id } }",
    { n: `E2E graph cap ${Date.now()}`, c: customer.createCustomer.id },
  );
  for (let i = 0; i < cap + extra; i++)
    await admin.call(
      'mutation($v: String!, $c: ID!) { addIoc(input: { type: "domain", value: $v, caseIds: [$c] }) { id } }',
      { v: `e2e-cap-${i}-${Date.now()}.example.org`, c: made.createCase.id },
    );
  await admin.dispose();
  await signIn(page);
  await page.goto(`/graph?start=${encodeURIComponent(made.createCase.id)}`);
  // The case, the first 25 IOCs, and one node for the rest.
  await expect(page.getByText(`${1 + cap + 1} nodes`, { exact: true })).toBeVisible();
  await page.getByText("Nodes as a list").click();
  const list = page.getByRole("list", { name: "Nodes" });
  await expect(list.getByRole("listitem").filter({ hasText: /ioc$/ })).toHaveCount(cap);
  await list.getByRole("button", { name: `${extra} more IOCs` }).click();
  const aside = page.getByRole("complementary", { name: "Selected node" });
  await expect(aside.getByRole("heading", { name: `${extra} more IOCs` })).toBeVisible();
  // A placeholder is not expanded.
  await expect(aside.getByRole("button", { name: "Expand", exact: true })).toHaveCount(0);
  await shot(page, "graph-capped");
});

test.describe("in UTC, alerts and flows", () => {
  test.use({ timezoneId: "UTC" });
  test("alerts filtered by kind, type, sensor, host and time; several acknowledged at once; an alert's flow", async ({
    page,
    baseURL,
  }) => {
    const stamp = Date.now();
    const type = `e2e-filters-${stamp}`;
    const made = [
      { kind: "e2e-net", sensor: "e2e-s1", srcIp: "203.0.113.51", occurredAt: "2026-02-01T10:00:00Z" },
      { kind: "e2e-net", sensor: "e2e-s2", srcIp: "203.0.113.52", occurredAt: "2026-02-02T10:00:00Z" },
      { kind: "e2e-host", sensor: "e2e-s1", srcIp: "203.0.113.51", occurredAt: "2026-02-03T10:00:00Z" },
    ].map((a, i) => ({ ...a, type, title: `E2E filtered ${i} ${stamp}` }));
    const admin = await api(baseURL as string);
    for (const a of made)
      await admin.call("mutation($i: CreateAlertInput!) { createAlert(input: $i) { id } }", {
        i: { ...a, severity: "WARNING" },
      });
    await signIn(page);
    await page.goto("/alerts");
    const filters = page.getByRole("form", { name: "Alert filters" });
    const table = page.getByRole("table", { name: "Alerts" });
    const expectShown = (keep: (a: (typeof made)[number]) => boolean) =>
      expect(table.getByRole("link", { name: /^E2E filtered \d/ })).toHaveCount(made.filter(keep).length);
    const set = async (label: string, value: string) => {
      await filters.getByLabel(label, { exact: true }).fill(value);
      await filters.getByLabel(label, { exact: true }).press("Enter");
    };
    await set("Type", type);
    await expect(page).toHaveURL(new RegExp(`type=${type}`));
    await expectShown(() => true);
    await set("Kind", "e2e-net");
    await expectShown((a) => a.kind === "e2e-net");
    await set("Sensor", "e2e-s1");
    await expectShown((a) => a.kind === "e2e-net" && a.sensor === "e2e-s1");
    await set("Kind", "");
    await expectShown((a) => a.sensor === "e2e-s1");
    await set("Sensor", "");
    await set("Host", "203.0.113.52");
    await expectShown((a) => a.srcIp === "203.0.113.52");
    await set("Host", "");
    await filters.getByLabel("From", { exact: true }).fill("2026-02-02T00:00");
    await expectShown((a) => a.occurredAt >= "2026-02-02");
    await filters.getByLabel("To", { exact: true }).fill("2026-02-03T00:00");
    await expectShown((a) => a.occurredAt >= "2026-02-02" && a.occurredAt < "2026-02-03");
    await filters.getByLabel("From", { exact: true }).fill("");
    await filters.getByLabel("To", { exact: true }).fill("");
    await expectShown(() => true);

    // Two selected, acknowledged at once.
    const picked = made.slice(0, 2);
    for (const a of picked)
      await table.getByRole("row").filter({ hasText: a.title }).getByRole("checkbox").check();
    await page
      .getByRole("toolbar", { name: "Selected alerts" })
      .getByRole("button", { name: "Acknowledge" })
      .click();
    await expect(page.getByText(`${picked.length} acknowledged`)).toBeVisible();
    await filters.getByLabel("Acknowledged").selectOption("yes");
    await expectShown((a) => picked.includes(a));
    const acked = await admin.call(
      "query($t: String!) { alerts(filter: { type: { eq: $t }, acknowledged: { eq: true } }) { nodes { title } } }",
      { t: type },
    );
    await admin.dispose();
    expect(acked.alerts.nodes.map((n: { title: string }) => n.title).sort()).toEqual(
      picked.map((a) => a.title).sort(),
    );

    // A Suricata alert's page shows the Zeek flow it was linked to (same endpoints, port,
    // protocol, running at the alert's time).
    const alert = jsonLines(testData("suricata/eve.json")).find(
      (e) => e.event_type === "alert" && e.proto === "TCP" && e.src_ip === "192.0.2.10",
    );
    const flow = jsonLines(testData("zeek/conn.json")).find(
      (f) =>
        f["id.orig_h"] === alert.src_ip &&
        f["id.resp_h"] === alert.dest_ip &&
        f["id.resp_p"] === alert.dest_port,
    );
    await page.goto("/alerts");
    await page.getByRole("link", { name: alert.alert.signature }).click();
    const flowBox = page.getByRole("region", { name: "Flow" });
    await expect(flowBox).toContainText(flow.uid);
    await expect(flowBox).toContainText(`${flow.orig_bytes} B / ${flow.orig_pkts} packets out`);
    await expect(flowBox).toContainText(`${flow.resp_bytes} B / ${flow.resp_pkts} packets in`);
    await shot(page, "alert-flow");
  });

  test("the flows explorer's port filter, and its histogram per hour and per minute", async ({ page }) => {
    const ip = "192.0.2.10";
    const conn = jsonLines(testData("zeek/conn.json")).filter(
      (f) => f["id.orig_h"] === ip || f["id.resp_h"] === ip,
    );
    const buckets = (seconds: number) => new Set(conn.map((f) => Math.floor(f.ts / seconds))).size;
    await signIn(page);
    await page.goto(`/flows?host=${ip}`);
    const foot = page.locator(".tfoot");
    await expect(foot).toHaveText(`${conn.length} of ${conn.length} shown`);
    await expect(
      page.getByRole("img", {
        name: `Flows per hour: ${conn.length} in ${buckets(3600)} buckets of 60 minutes`,
      }),
    ).toBeVisible();
    await page.getByRole("form", { name: "Flow filters" }).getByLabel("Buckets").selectOption("60");
    await expect(
      page.getByRole("img", {
        name: `Flows per minute: ${conn.length} in ${buckets(60)} buckets of 1 minutes`,
      }),
    ).toBeVisible();
    // The port filter: either end's port.
    const port = conn.find((f) => f.proto === "tcp")["id.resp_p"];
    const withPort = conn.filter((f) => f["id.orig_p"] === port || f["id.resp_p"] === port).length;
    const filters = page.getByRole("form", { name: "Flow filters" });
    await filters.getByLabel("Port").fill(String(port));
    await filters.getByLabel("Port").press("Enter");
    await expect(page).toHaveURL(new RegExp(`port=${port}`));
    await expect(foot).toHaveText(`${withPort} of ${withPort} shown`);
    await expect(
      page.getByRole("img", { name: new RegExp(`^Flows per minute: ${withPort} in`) }),
    ).toBeVisible();
    await filters.getByLabel("Port").fill("not-a-port");
    await filters.getByLabel("Port").press("Enter");
    await expect(page.getByRole("alert")).toContainText('"not-a-port" is not a port number');
    await shot(page, "flows-port");
  });
});

// The investigator's walk through the app, in a real browser against the real server.
// Expected values come from the files imported (tests/serve.sh), never from Pivot.
import AxeBuilder from "@axe-core/playwright";
import { api, expect, fixture, read, shot, signIn, test, testData } from "./fixtures";

/** Open TCP ports of 127.0.0.1 in nmap-localhost.xml, read from the XML itself. */
function openPorts(): number[] {
  const xml = read(fixture("nmap-localhost.xml"));
  return [...xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="open"/g)].map((m) =>
    Number(m[1]),
  );
}

test("a wrong password is said plainly, then sign in and out", async ({ page }) => {
  await page.goto("/");
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
  const note = page.getByRole("form", { name: "New note" });
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

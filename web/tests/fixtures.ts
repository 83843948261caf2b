// What every browser test shares: a page that fails the test on any console error or
// uncaught exception, signing in through the sign-in form, GraphQL calls as a user
// (for changes made "elsewhere" while a page is open), and page screenshots kept
// under test-results/screenshots/.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type APIRequestContext, test as base, expect, type Page, request } from "@playwright/test";

export const password = (user: string) => `${user}-password-e2e`;

export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("console", (m) => {
        // The one expected failure: before sign-in (and after a wrong password) the
        // server answers 401, which Chromium logs for any failed request.
        if (m.type() === "error" && !m.text().includes("status of 401 (Unauthorized)")) errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(String(e)));
      await use(errors);
      expect(errors, "console errors").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

export async function signIn(page: Page, user = "admin") {
  await page.goto("/");
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password(user));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

/** A GraphQL client signed in as `user` (its session cookie, sent from Pivot's origin). */
export async function api(baseURL: string, user = "admin") {
  const ctx: APIRequestContext = await request.newContext({ baseURL, extraHTTPHeaders: { Origin: baseURL } });
  const call = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await ctx.post("/graphql", { data: { query, variables } });
    const body = await r.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  await call("mutation($u: String!, $p: String!) { login(username: $u, password: $p) { id } }", {
    u: user,
    p: password(user),
  });
  return { call, dispose: () => ctx.dispose() };
}

/** A file of the shared real-tool fixtures, or of the repository's test data. */
export function fixture(path: string): string {
  return resolve(process.env.PIVOT_FIXTURES ?? "../../shared/fixtures", path);
}
export function testData(path: string): string {
  return resolve("../tests/data", path);
}
export function read(path: string): string {
  return readFileSync(path, "utf8");
}

/** The records of a JSON-lines file (Zeek, Suricata), as the tools wrote them. */
// biome-ignore lint/suspicious/noExplicitAny: records in the tools' own shapes
export function jsonLines(path: string): any[] {
  return read(path)
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

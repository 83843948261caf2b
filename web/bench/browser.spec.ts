// Measures what an investigator waits for, in Debian's chromium on this machine: the
// first page, the host page of a host with 100,000 flows (and scrolling through them),
// and the graph view at 2,000 nodes and more. Prints one line per measurement.
import { expect, type Page, test } from "@playwright/test";

const results: string[] = [];
const record = (what: string, value: string) => {
  results.push(`${what}: ${value}`);
  console.log(`BENCH ${what}: ${value}`);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function signIn(page: Page) {
  await page.goto("/");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("admin-password-e2e");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** Long tasks (main thread busy over 50 ms) and frames while `act` runs. */
async function smoothness(page: Page, act: () => Promise<void>) {
  await page.evaluate(() => {
    const w = window as unknown as { __long: number[]; __frames: number; __run: boolean };
    w.__long = [];
    w.__frames = 0;
    w.__run = true;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.__long.push(e.duration);
    }).observe({ type: "longtask" });
    const tick = () => {
      w.__frames += 1;
      if (w.__run) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const start = Date.now();
  await act();
  const seconds = (Date.now() - start) / 1000;
  return page.evaluate((s) => {
    const w = window as unknown as { __long: number[]; __frames: number; __run: boolean };
    w.__run = false;
    return { fps: w.__frames / s, longest: Math.max(0, ...w.__long), long: w.__long.length };
  }, seconds);
}

test("first page interactive", async ({ browser }) => {
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto("/");
    await page.getByLabel("Username").waitFor();
    times.push(await page.evaluate(() => performance.now()));
    await ctx.close();
  }
  record("sign-in page interactive, cold cache (first visit)", ms(times[0]));
  record("sign-in page interactive, new context each time (median of 5)", ms(median(times.slice(1))));
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page);
  const ready: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto("/");
    await page.getByRole("heading", { name: /^Alerts/ }).waitFor();
    ready.push(await page.evaluate(() => performance.now()));
  }
  record("dashboard with its data, signed in (median of 5)", ms(median(ready)));
  await ctx.close();
});

test("host page of a host with 100,000 flows", async ({ page }) => {
  await signIn(page);
  const opens: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto("/hosts/10.1.0.1");
    await page.getByText("200 of 100000 shown").waitFor({ timeout: 60_000 });
    opens.push(await page.evaluate(() => performance.now()));
  }
  record("host page open, first 200 flows of 100,000 shown (median of 5)", ms(median(opens)));
  const flows = page.getByRole("table", { name: "Flows" });
  const scroller = flows.locator("xpath=..");
  const s = await smoothness(page, async () => {
    for (let i = 0; i < 60; i++) {
      await scroller.evaluate((el) => el.scrollBy(0, 1500));
      await page.waitForTimeout(50);
    }
  });
  const shown = await page.locator(".tfoot").filter({ hasText: "of 100000" }).first().innerText();
  record(
    "scrolling the flows (60 steps of 1,500 px, next pages loading)",
    `${s.fps.toFixed(0)} frames/s, ${s.long} long tasks, longest ${ms(s.longest)}; then ${shown.split(" shown")[0]} rows loaded`,
  );
});

test("graph view at 2,000 nodes", async ({ page }) => {
  await signIn(page);
  const id = await page.evaluate(async () => {
    const r = await fetch('/graphql?query={host(ip:"10.3.0.1"){id}}');
    return (await r.json()).data.host.id as string;
  });
  await page.goto(`/graph?start=${encodeURIComponent(id)}`);
  await page.getByText(/\d+ added\./).waitFor();
  const started = Date.now();
  let nodes = 0;
  for (let round = 0; round < 40 && nodes < 2000; round++) {
    await page.getByRole("button", { name: "Expand every node one hop" }).click();
    await expect(page.locator(`aside[data-runs="${round + 1}"]`)).toBeAttached({ timeout: 300_000 });
    nodes = Number((await page.getByText(/^\d+ nodes$/).innerText()).split(" ")[0]);
  }
  record("graph grown by 'expand every node' to", `${nodes} nodes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const box = (await page.getByRole("img", { name: /Graph of/ }).boundingBox()) ?? { x: 0, y: 0, width: 800, height: 600 };
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const s = await smoothness(page, async () => {
    await page.mouse.move(cx, cy);
    for (let i = 0; i < 10; i++) {
      await page.mouse.wheel(0, i < 5 ? -200 : 200);
      await page.waitForTimeout(100);
    }
    await page.mouse.down();
    for (let i = 0; i < 30; i++) {
      await page.mouse.move(cx + i * 5, cy + i * 3);
      await page.waitForTimeout(30);
    }
    await page.mouse.up();
  });
  record(
    `zooming and panning ${nodes} nodes`,
    `${s.fps.toFixed(0)} frames/s, ${s.long} long tasks, longest ${ms(s.longest)}`,
  );
});

test.afterAll(() => {
  console.log(`\n${results.join("\n")}`);
});

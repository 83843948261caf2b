// Browser tests: Debian's chromium (never a downloaded browser) driven by Playwright
// against the real `pivot` binary (tests/serve.sh), the app built into web/dist.
import { defineConfig } from "@playwright/test";

const port = Number(process.env.PIVOT_E2E_PORT ?? 18181);
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "tests",
  outputDir: "test-results/output",
  // One server, one database: tests that change shared data run one at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      // The machine has no network: Chromium's own background connections would fail.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: "bash tests/serve.sh",
    url: `${baseURL}/healthz`,
    timeout: 120_000,
    reuseExistingServer: false,
    env: { PIVOT_E2E_PORT: String(port) },
    stdout: "ignore",
    stderr: "pipe",
  },
});

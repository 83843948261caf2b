// The browser benchmark (`npm run bench`): the app on a release binary with 100,000
// flows of one host and a mesh of 3,000 hosts, in Debian's chromium. It prints its
// measurements; BENCHMARKS.md records them.
import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

const port = Number(process.env.PIVOT_BENCH_PORT ?? 18282);

export default defineConfig({
  ...base,
  testDir: "bench",
  outputDir: "test-results/bench",
  timeout: 600_000,
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}` },
  webServer: {
    command: "bash bench/serve.sh",
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 600_000,
    reuseExistingServer: false,
    env: { PIVOT_BENCH_PORT: String(port) },
    stdout: "ignore",
    stderr: "pipe",
  },
});

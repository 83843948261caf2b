import { defineConfig } from "vitest/config";

// Unit tests sit beside the code (src/**/*.test.ts); tests/ holds the browser tests.
export default defineConfig({ test: { include: ["src/**/*.test.ts"] } });

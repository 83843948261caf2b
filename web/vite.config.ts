import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Two pages: the app at `/` (client-side routes fall back to index.html on the server)
// and the explorer at `/graphiql`, each its own entry so the app never loads GraphiQL.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // Source maps stay out of the binary.
    sourcemap: false,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, "index.html"),
        graphiql: resolve(import.meta.dirname, "graphiql.html"),
      },
    },
  },
  worker: { format: "es" },
  server: {
    // `npm run dev` talks to a `pivot serve` on the default address.
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8080", ws: true, changeOrigin: false },
      "/alerts/": "http://127.0.0.1:8080",
      "/exports/": "http://127.0.0.1:8080",
    },
  },
});

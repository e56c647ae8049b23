import react from "@vitejs/plugin-react";
import { defineConfig, type ProxyOptions } from "vite";

/** Where `npm start` serves the Auspex API (server/src/config defaults). */
const API_ORIGIN = "http://127.0.0.1:8080";

/** Paths the dev and preview servers hand to the API server; everything else is the UI. */
const API_PATHS = ["/api", "/health", "/metrics", "/docs", "/openapi.json", "/prometheus"];

const proxy: Record<string, ProxyOptions> = Object.fromEntries(
  API_PATHS.map((path) => [path, { target: API_ORIGIN, xfwd: true }]),
);

// Vite loads its config through the default export.
export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
});

import { defineConfig } from 'vite';

/** The dashboard; the collector serves web/dist. `npm run dev -w @queuescope/web` proxies the API to QS_COLLECTOR_URL. */
const collector = process.env.QS_COLLECTOR_URL ?? 'http://127.0.0.1:3001';

export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': { target: collector, ws: true } } },
});

import { defineConfig } from 'vite';

// The officers' tablet app, the review desk and the operations console: one static build in web/dist,
// served by the API (enforcement-api/web.ts). `npx vite web` serves it with the API proxied for development.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { proxy: { '/api': 'http://localhost:8080' } },
});

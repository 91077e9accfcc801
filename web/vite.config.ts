// The portal's build. `scripts/web-build.ts` runs it programmatically (npm start, test setup);
// `npx vite web` serves it with hot reload, the API proxied to a local `npm start`.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const API_ORIGIN = 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  // The manifest lets scripts/web-size.ts follow what the first page loads.
  build: {
    outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0, manifest: true,
    // Rolldown's "plugins took N% of the build" note is noise on a shared, busy machine.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: { proxy: { '/api': API_ORIGIN, '/sandbox': API_ORIGIN } },
});

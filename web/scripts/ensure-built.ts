/**
 * Builds the web app when web/dist is missing or older than its sources (npm start runs this first;
 * npm ci builds it in postinstall; the browser tests call `ensureWebBuilt`).
 */
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('..', import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export async function ensureWebBuilt(): Promise<void> {
  const index = path.join(WEB, 'dist', 'index.html');
  const sources = Math.max(newest(path.join(WEB, 'src')), newest(path.join(WEB, 'public')), statSync(path.join(WEB, 'index.html')).mtimeMs, statSync(path.join(WEB, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  // A production build also when called from the test runner (NODE_ENV=test would make Vite build for development).
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: WEB, configFile: path.join(WEB, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
  } finally {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await ensureWebBuilt();

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `vite build` (web/vite.config.ts) writes the app. */
export const WEB_DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The web app's policy: scripts, styles, workers and the manifest from its own origin only (the build
 * has no inline script, so an injected one does not run), no plugins, no framing, forms and base URL
 * pinned. Inline style attributes are allowed for the charts' SVG.
 */
export const WEB_APP_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

async function files(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await files(path.join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}

/**
 * Serves the built web app (web/dist) from memory: `/` is index.html, `/*` the other files. Files
 * under assets/ carry a content hash in their name and are cached for good; the rest (the page, the
 * service worker, the manifest) are revalidated so a new build reaches the tablets.
 */
export async function serveWebApp(app: FastifyInstance, dist = WEB_DIST): Promise<void> {
  if (!existsSync(path.join(dist, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.status(503).type('text/plain; charset=utf-8').send('The web app is not built: run `npm run web:build` (npm ci and npm start do it).\n'));
    app.get('/*', { schema: { hide: true } }, async (req, reply) => reply.status(404).send({ code: 'NOT_FOUND', message: `no route GET ${req.url.split('?')[0]}` }));
    return;
  }
  const served = new Map<string, { body: Buffer; type: string; cache: string }>();
  for (const rel of await files(dist)) {
    served.set(`/${rel}`, {
      body: await readFile(path.join(dist, rel)),
      type: TYPES[path.extname(rel)] ?? 'application/octet-stream',
      cache: rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  const send = (file: { body: Buffer; type: string; cache: string }, reply: FastifyReply) => reply.type(file.type).header('cache-control', file.cache).header('content-security-policy', WEB_APP_POLICY).send(file.body);
  app.get('/', { schema: { hide: true } }, async (_req, reply) => send(served.get('/index.html')!, reply));
  // One route for the files (their names carry build hashes); anything else is the API's usual 404.
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const file = served.get(req.url.split('?')[0]!);
    if (!file || file === served.get('/index.html')) return reply.status(404).send({ code: 'NOT_FOUND', message: `no route GET ${req.url.split('?')[0]}` });
    return send(file, reply);
  });
}

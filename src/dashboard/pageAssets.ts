import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A file the dashboard page needs, and how it is served. */
interface Asset {
  readonly file: string;
  readonly type: string;
}

const require = createRequire(import.meta.url);
// The page's own files sit next to this module (src/ in tests, dist/ after the build's copy step).
const pageFile = (name: string) => fileURLToPath(new URL(`./page/${name}`, import.meta.url));

/** URL path → file. Nothing else is served: no directory listing, no path from the request reaches the disk. */
const ASSETS: Record<string, () => Asset> = {
  '/': () => ({ file: pageFile('index.html'), type: 'text/html; charset=utf-8' }),
  '/assets/dashboard.js': () => ({ file: pageFile('dashboard.js'), type: 'text/javascript; charset=utf-8' }),
  '/assets/dashboard.css': () => ({ file: pageFile('dashboard.css'), type: 'text/css; charset=utf-8' }),
  '/assets/uPlot.iife.min.js': () => ({
    file: require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  }),
  '/assets/uPlot.min.css': () => ({
    file: require.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  }),
};

const cache = new Map<string, Promise<{ body: Buffer; type: string }>>();

/** Whether `path` is one of the page's files. */
export function isPageAsset(path: string): boolean {
  return Object.hasOwn(ASSETS, path);
}

/** The bytes and content type of a page file (read once, then kept: they never change while running). */
export function loadPageAsset(path: string): Promise<{ body: Buffer; type: string }> {
  let loaded = cache.get(path);
  if (!loaded) {
    const asset = (ASSETS[path] as () => Asset)();
    loaded = readFile(asset.file).then((body) => ({ body, type: asset.type }));
    // A failed read (a broken install) is retried next time rather than cached.
    loaded.catch(() => cache.delete(path));
    cache.set(path, loaded);
  }
  return loaded;
}

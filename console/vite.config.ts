/**
 * Builds the console (Preact) into console/dist: index.html at the root, hashed scripts and
 * styles under /console/assets/ (served asset-first by Workers Static Assets; wrangler.toml).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    assetsDir: 'console/assets',
    emptyOutDir: true,
    // No inline scripts: the page's Content-Security-Policy allows only 'self'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});

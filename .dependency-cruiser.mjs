/**
 * Dependency rules of src/ (`npm run deps`, part of `npm test`): imports flow one way,
 *
 *   entry points and routes/ → delivery/ work/ jobs/ images/ → transform/ sources/ security/
 *   http/ → codecs/ storage/ → wasm/
 *
 * and the shared modules (errors.ts, config.ts, env.ts, ids.ts, hash.ts, observability/)
 * import only each other, so every layer may use them. Modules of one layer may import each
 * other; no cycles anywhere (type-only imports included). No exceptions.
 */
const ENTRY = '^src/(routes/|(index|app|consumer|scheduled)\\.ts$)';
const SERVICES = '^src/(delivery|work|jobs|images)/';
const DOMAIN = '^src/(transform|sources|security|http)/';
const BASE = '^src/(codecs|storage)/';
const SHARED = '^src/((errors|config|env|ids|hash)\\.ts$|observability/|[^/]+\\.d\\.ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No module may reach itself again through its imports.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'entry-on-top',
      comment:
        'Only the entry points (index, app, consumer, scheduled) import routes/ and each other.',
      severity: 'error',
      from: { pathNot: ENTRY },
      to: { path: ENTRY },
    },
    {
      name: 'services-below-routes',
      comment:
        'delivery/, work/, jobs/ and images/ import only transform/ and below (and each other).',
      severity: 'error',
      from: { path: SERVICES },
      to: { path: ENTRY },
    },
    {
      name: 'domain-below-services',
      comment:
        'transform/, sources/, security/ and http/ never import delivery/, work/, jobs/, images/.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: [ENTRY, SERVICES] },
    },
    {
      name: 'base-below-domain',
      comment: 'codecs/ and storage/ import only each other, wasm/ and the shared modules.',
      severity: 'error',
      from: { path: BASE },
      to: { path: [ENTRY, SERVICES, DOMAIN] },
    },
    {
      name: 'wasm-at-the-bottom',
      comment: 'wasm/ imports nothing from src/.',
      severity: 'error',
      from: { path: '^wasm/' },
      to: { path: '^src/' },
    },
    {
      name: 'shared-imports-shared',
      comment: 'errors, config, env, ids, hash and observability/ import only each other.',
      severity: 'error',
      from: { path: SHARED },
      to: { path: '^(src|wasm)/', pathNot: SHARED },
    },
  ],
  options: {
    includeOnly: '^(src|wasm)/',
    // Binary modules and data are leaves; parsing them as JavaScript only costs time.
    exclude: { path: '\\.(wasm|json)$' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json', '.wasm'] },
  },
};

#!/usr/bin/env node
/**
 * `npm run sign -- <path or URL> [--expires-in <seconds> | --exp <unix seconds>] [--kid <kid>]
 *   [--base <origin>]`: prints a signed delivery URL.
 *
 *   npm run sign -- /img/AbCdEfGhIjKlMnOp/w=800,f=auto --expires-in 3600
 *   → http://127.0.0.1:8787/img/AbCdEfGhIjKlMnOp/w=800,f=auto?exp=…&kid=k1&sig=…
 *
 * Keys come from the SIGNING_KEYS environment variable, else from .dev.vars (the same JSON list
 * of { kid, key } the Worker reads); the first key signs unless --kid names another. The
 * signing code is src/security/signature.ts itself, transpiled on the fly with the project's
 * TypeScript (a dev dependency), so this script and the Worker cannot drift apart.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');

/** Loads src/security/signature.ts (transpiled to JavaScript) as a module. */
export async function loadSignature() {
  const ts = (await import('typescript')).default;
  const source = readFileSync(path.join(root, 'src/security/signature.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
}

/** The value of `name` in .dev.vars (KEY=value lines), or undefined. */
export function readDevVar(name) {
  const file = path.join(root, '.dev.vars');
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}=`));
  if (line === undefined) return undefined;
  let value = line.slice(name.length + 1).trim();
  if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
  return value;
}

/** SIGNING_KEYS from the environment or .dev.vars, parsed (empty list when none). */
export async function signingKeys() {
  const { parseSigningKeys } = await loadSignature();
  return parseSigningKeys(process.env.SIGNING_KEYS ?? readDevVar('SIGNING_KEYS') ?? '');
}

/**
 * Signs `target` (a path or an absolute URL) with `key` ({ kid, key }), optionally until `exp`
 * (unix seconds); returns the absolute URL against `base` for a path.
 */
export async function signUrl(target, key, exp, base = 'http://127.0.0.1:8787') {
  const { signPath } = await loadSignature();
  const url = new URL(target, base);
  const signed = await signPath(url.pathname, key, exp);
  return new URL(signed, url.origin).toString();
}

function usage(message) {
  if (message) console.error(message);
  console.error(
    'usage: npm run sign -- <path or URL> [--expires-in <s> | --exp <unix s>] [--kid <kid>] [--base <origin>]',
  );
  process.exit(2);
}

async function main(argv) {
  let target;
  let exp;
  let kid;
  let base = 'http://127.0.0.1:8787';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === '--expires-in') exp = Math.floor(Date.now() / 1000) + Number(next());
    else if (arg === '--exp') exp = Number(next());
    else if (arg === '--kid') kid = next();
    else if (arg === '--base') base = next();
    else if (arg === '-h' || arg === '--help') usage();
    else if (target === undefined) target = arg;
    else usage(`unexpected argument ${arg}`);
  }
  if (!target) usage();
  if (exp !== undefined && !Number.isSafeInteger(exp)) usage('the expiry must be whole seconds');
  const keys = await signingKeys();
  if (keys.length === 0)
    usage('no signing keys: set SIGNING_KEYS (env or .dev.vars) to [{"kid":"…","key":"…"}]');
  const key = kid === undefined ? keys[0] : keys.find((k) => k.kid === kid);
  if (!key) usage(`no key with kid ${kid}`);
  console.log(await signUrl(target, key, exp, base));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

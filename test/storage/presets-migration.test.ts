/**
 * migrations/0006_tenancy.sql on a database that has presets without owners: each known
 * owner gets its own copy, neither public nor eager (the fail-closed rule in
 * docs/security.md). Runs the real migration's statements on the pre-0006 schema (this file's
 * D1 storage is its own).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

const migration = (prefix: string) => {
  const m = env.TEST_MIGRATIONS.find((x) => x.name.startsWith(prefix));
  if (!m) throw new Error(`no migration ${prefix}`);
  return m;
};

const run = (sql: string[]) => env.DB.batch(sql.map((q) => env.DB.prepare(q)));

describe('0006_tenancy', () => {
  it('copies ownerless presets to every known owner, neither public nor eager', async () => {
    // Back to the schema before 0006: the old presets table, no tombstones.
    await run(['DROP TABLE presets', 'DROP TABLE retiring_originals']);
    await run(migration('0002_').queries);
    const now = Date.now();
    await run([
      `INSERT INTO presets (name, options, public, eager, created_at, updated_at)
       VALUES ('card', 'width=300', 1, 1, ${now}, ${now}), ('hero', 'width=1200', 0, 0, ${now}, ${now})`,
      `INSERT INTO images (id, owner, sha256, format, width, height, bytes, created_at)
       VALUES ('AAAAAAAAAAAAAAAA', 'alice', '${'a'.repeat(64)}', 'png', 1, 1, 1, ${now}),
              ('BBBBBBBBBBBBBBBB', 'bob', '${'b'.repeat(64)}', 'png', 1, 1, 1, ${now})`,
      `INSERT INTO api_keys (id, key_hash, owner, scopes, created_at)
       VALUES ('k_AAAAAAAAAAAAAAAA', '${'c'.repeat(64)}', 'carol', '["admin"]', ${now})`,
    ]);

    await run(migration('0006_').queries);

    const { results } = await env.DB.prepare(
      'SELECT owner, name, options, public, eager FROM presets ORDER BY owner, name',
    ).all();
    expect(results).toEqual(
      ['alice', 'bob', 'carol'].flatMap((owner) => [
        { owner, name: 'card', options: 'width=300', public: 0, eager: 0 },
        { owner, name: 'hero', options: 'width=1200', public: 0, eager: 0 },
      ]),
    );
    // Owner-scoped uniqueness: the same name may exist once per owner.
    await expect(
      env.DB.prepare(
        "INSERT INTO presets (owner, name, options, created_at, updated_at) VALUES ('alice', 'card', 'w=1', 0, 0)",
      ).run(),
    ).rejects.toThrow(/UNIQUE/);
  });
});

/**
 * D1 read replication through the Sessions API: every query of a request, queue message or cron
 * run goes through one `D1DatabaseSession`, opened with the consistency its flow needs
 * (docs/architecture.md, "Consistency per flow"). A session is sequentially consistent: once a
 * query has seen a write, later queries in the session never see an older state, and its
 * bookmark lets a later session (the client's next request, or a queue message) continue from
 * at least that point.
 *
 * Storage modules keep taking a `D1Database`: the entry points hand them a
 * {@link SessionDatabase}, which routes `prepare` and `batch` to the session, so no query can run
 * outside one, and turns every failing query into a {@link D1Unavailable} (a 503 with
 * `Retry-After` to a client, a retry for a queue message). Cloudflare docs: "D1 read
 * replication" and "Sessions API".
 */
import { DomainError } from '../errors';

/**
 * A D1 query failed: the database (or its primary, for a write) did not answer, or refused the
 * statement. The original error is the `cause`; nothing the query would have written is stored
 * (each statement or batch is atomic).
 */
export class D1Unavailable extends DomainError {
  constructor(cause: unknown) {
    super('unavailable', `D1: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'D1Unavailable';
  }
}

/** Statement methods that run the query (and so can fail). */
const RUNS: ReadonlySet<PropertyKey> = new Set(['first', 'run', 'all', 'raw']);

/** The statement each guarded proxy stands for (`batch` needs the session's own objects). */
const guardedTargets = new WeakMap<D1PreparedStatement, D1PreparedStatement>();

/** `stmt` whose runs reject with {@link D1Unavailable}; `bind` keeps the guard. */
function guarded(stmt: D1PreparedStatement): D1PreparedStatement {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'bind')
        return (...args: unknown[]) => guarded(fn.apply(target, args) as D1PreparedStatement);
      if (!RUNS.has(prop)) return fn.bind(target);
      return (...args: unknown[]) => wrapFailure(() => fn.apply(target, args) as Promise<unknown>);
    },
  });
  guardedTargets.set(proxy, stmt);
  return proxy;
}

/** Runs `work`, turning a throw or rejection into {@link D1Unavailable}. */
async function wrapFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof D1Unavailable ? err : new D1Unavailable(err);
  }
}

/**
 * Where a session's first query may go: `first-unconstrained` (any replica: flows that may read
 * slightly stale data), `first-primary` (flows that must see every write), or a bookmark from an
 * earlier session (at least that fresh).
 */
export type SessionStart = D1SessionConstraint | D1SessionBookmark;

/** Longest bookmark we accept from a client or a message (D1's are about 60 characters). */
export const MAX_BOOKMARK_LENGTH = 256;

/**
 * Accepts a bookmark from outside (a request header, a queue message): printable ASCII without
 * spaces or commas, at most {@link MAX_BOOKMARK_LENGTH} characters, and not one of the two
 * constraint names. @returns the bookmark, or null when it is absent or malformed.
 */
export function parseBookmark(value: unknown): D1SessionBookmark | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_BOOKMARK_LENGTH)
    return null;
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes(',')) return null;
  if (value === 'first-primary' || value === 'first-unconstrained') return null;
  return value;
}

/**
 * A `D1Database` whose queries all run in one session, opened lazily on the first query (a
 * request that never reads D1, such as an edge-cache hit, opens none).
 */
export class SessionDatabase implements D1Database {
  #session: D1DatabaseSession | null = null;

  /** `db`: the binding; `start`: where the session's first query may go. */
  constructor(
    readonly binding: D1Database,
    readonly start: SessionStart,
  ) {}

  /** The session, opened on first use. */
  get session(): D1DatabaseSession {
    return (this.#session ??= this.binding.withSession(this.start));
  }

  /** @throws D1Unavailable when the statement cannot even be prepared. */
  prepare(query: string): D1PreparedStatement {
    try {
      return guarded(this.session.prepare(query));
    } catch (err) {
      throw new D1Unavailable(err);
    }
  }

  /** Runs `statements` atomically in the session. @throws D1Unavailable on any failure. */
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    const own = statements.map((s) => guardedTargets.get(s) ?? s);
    return wrapFailure(() => this.session.batch<T>(own));
  }

  /**
   * The bookmark of the latest query in this session, or null when it ran none (nothing to be
   * at least as fresh as).
   */
  bookmark(): D1SessionBookmark | null {
    return this.#session?.getBookmark() ?? null;
  }

  /** Not used by this code: `exec` would bypass the session. @throws Error always. */
  exec(): Promise<D1ExecResult> {
    return Promise.reject(new Error('D1 exec() is not available inside a session'));
  }

  /** A further session on the same binding (for a flow that needs another start). */
  withSession(constraintOrBookmark?: SessionStart): D1DatabaseSession {
    return this.binding.withSession(constraintOrBookmark);
  }

  /** Deprecated alpha API. @throws Error always. */
  dump(): Promise<ArrayBuffer> {
    return Promise.reject(new Error('D1 dump() is not available inside a session'));
  }
}

/**
 * `env` with `DB` replaced by a {@link SessionDatabase} starting at `start` (a binding that is
 * already a session is unwrapped first, so sessions never nest).
 */
export function withD1Session<E extends { DB: D1Database }>(env: E, start: SessionStart): E {
  const db = env.DB instanceof SessionDatabase ? env.DB.binding : env.DB;
  return { ...env, DB: new SessionDatabase(db, start) };
}

/**
 * The bookmark of the session `env.DB` runs in (the last write or read it made), or null when
 * `env.DB` is not a session or has run no query yet.
 */
export function sessionBookmark(env: { DB: D1Database }): D1SessionBookmark | null {
  return env.DB instanceof SessionDatabase ? env.DB.bookmark() : null;
}

/** True when `env.DB` is already a {@link SessionDatabase}. */
export function isSession(env: { DB: D1Database }): boolean {
  return env.DB instanceof SessionDatabase;
}

/** Where `env.DB`'s session started, or null when it is not a session. For logs and tests. */
export function sessionStart(env: { DB: D1Database }): SessionStart | null {
  return env.DB instanceof SessionDatabase ? env.DB.start : null;
}

/**
 * The part of `node:async_hooks` the Worker uses (workerd with the `nodejs_compat` flag,
 * wrangler.toml): AsyncLocalStorage, as Node documents it
 * (https://nodejs.org/api/async_context.html#class-asynclocalstorage).
 */
declare module 'node:async_hooks' {
  /** A value that follows one asynchronous flow (a request) across its awaits. */
  export class AsyncLocalStorage<T> {
    /** Runs `fn` with `store` as the value of this flow; returns what `fn` returns. */
    run<R>(store: T, fn: () => R): R;
    /** The value of the flow that runs now, or undefined outside {@link run}. */
    getStore(): T | undefined;
  }
}

/** A `.wasm` import is a precompiled module (wrangler and vitest-pool-workers both compile it at build time). */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

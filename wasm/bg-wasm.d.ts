/**
 * Type of a wasm-bindgen `*_bg.wasm` import (see tsconfig `paths`): those files ship their own
 * `.wasm.d.ts` describing the raw exports, which hides the `*.wasm` module declaration (TS1192).
 * The bundler hands us a precompiled `WebAssembly.Module`.
 */
declare const module: WebAssembly.Module;
export default module;

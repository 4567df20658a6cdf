/*
 * <setjmp.h> for building aom's encoder for wasm32-wasi, which has none (and clang 14 cannot
 * lower setjmp/longjmp to wasm). aom uses them only for its error path: a function that may
 * fail calls setjmp() once, and aom_internal_error() longjmp()s back to it on an allocation
 * failure or an internal error. Here setjmp() always returns 0 (the normal path) and
 * longjmp() traps (`unreachable`): the error becomes a WebAssembly trap, which the host
 * catches and answers by discarding the instance (wasm/instances.ts). Ours; used by
 * wasm/avif-enc/build.sh only.
 */
#ifndef AVIF_ENC_WASM_SETJMP_H
#define AVIF_ENC_WASM_SETJMP_H

typedef int jmp_buf[1];

#define setjmp(env) ((void)(env), 0)

static inline _Noreturn void longjmp(jmp_buf env, int val) {
  (void)env;
  (void)val;
  __builtin_trap();
}

#endif

/*
 * Single-thread pthread stand-in for building dav1d for wasm32-wasi (workerd has no threads;
 * wasi-libc's non-threaded sysroot has no <pthread.h>). dav1d is opened with n_threads = 1
 * and max_frame_delay = 1, so it never creates a thread: pthread_create fails (EAGAIN) if it
 * ever tried; mutexes and condition variables are no-ops (nothing can wait on another
 * thread), pthread_once runs its function once. Ours; used by wasm/avif/build.sh only.
 */
#ifndef AVIF_WASM_PTHREAD_STUB_H
#define AVIF_WASM_PTHREAD_STUB_H
#include <errno.h>
#include <stddef.h>

typedef struct { int unused; } pthread_attr_t;
typedef struct { int unused; } pthread_mutex_t;
typedef struct { int unused; } pthread_mutexattr_t;
typedef struct { int unused; } pthread_cond_t;
typedef struct { int unused; } pthread_condattr_t;
typedef int pthread_once_t;
typedef unsigned long pthread_t;

#define PTHREAD_ONCE_INIT 0
#define PTHREAD_MUTEX_INITIALIZER {0}
#define PTHREAD_COND_INITIALIZER {0}

static inline int pthread_attr_init(pthread_attr_t *a) { (void)a; return 0; }
static inline int pthread_attr_destroy(pthread_attr_t *a) { (void)a; return 0; }
static inline int pthread_attr_setstacksize(pthread_attr_t *a, size_t s) { (void)a; (void)s; return 0; }
static inline int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg) {
  (void)t; (void)a; (void)f; (void)arg; return EAGAIN;
}
static inline int pthread_join(pthread_t t, void **r) { (void)t; (void)r; return EINVAL; }
static inline pthread_t pthread_self(void) { return 1; }
static inline int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) { (void)m; (void)a; return 0; }
static inline int pthread_mutex_destroy(pthread_mutex_t *m) { (void)m; return 0; }
static inline int pthread_mutex_lock(pthread_mutex_t *m) { (void)m; return 0; }
static inline int pthread_mutex_unlock(pthread_mutex_t *m) { (void)m; return 0; }
static inline int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a) { (void)c; (void)a; return 0; }
static inline int pthread_cond_destroy(pthread_cond_t *c) { (void)c; return 0; }
static inline int pthread_cond_signal(pthread_cond_t *c) { (void)c; return 0; }
static inline int pthread_cond_broadcast(pthread_cond_t *c) { (void)c; return 0; }
static inline int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { (void)c; (void)m; return 0; }
static inline int pthread_once(pthread_once_t *o, void (*f)(void)) {
  if (!*o) { *o = 1; f(); }
  return 0;
}
#endif

// Per-thread state, fatal signals, the futex lock and note, threads and time.
#define _GNU_SOURCE
#include "CContext.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

// MARK: - Per-thread state.
// Every accessor is noinline so no caller can keep a thread-local address across a
// goroutine switch (after which it may be running on a different thread).

typedef struct tc_thread_state {
  void *m;
  void *g;
  int64_t goid;
  uintptr_t guard_lo, guard_hi;
} tc_thread_state;

static _Thread_local tc_thread_state tc_tls;

__attribute__((noinline)) void *tc_tls_m(void) { return tc_tls.m; }
__attribute__((noinline)) void tc_tls_set_m(void *m) { tc_tls.m = m; }
__attribute__((noinline)) void *tc_tls_g(void) { return tc_tls.g; }
__attribute__((noinline)) int64_t tc_tls_goid(void) { return tc_tls.goid; }
__attribute__((noinline)) void tc_tls_set_g(void *g, int64_t goid, void *guard_lo,
                                            void *guard_hi) {
  tc_tls.g = g;
  tc_tls.goid = goid;
  tc_tls.guard_lo = (uintptr_t)guard_lo;
  tc_tls.guard_hi = (uintptr_t)guard_hi;
}

// MARK: - Signals

void tc_write_stderr(const char *msg) {
  size_t n = strlen(msg);
  while (n > 0) {
    ssize_t w = write(2, msg, n);
    if (w <= 0) return;
    msg += w;
    n -= (size_t)w;
  }
}

static void format_i64(char *buf, int64_t v) {
  char tmp[24];
  int i = 0;
  uint64_t u = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
  do { tmp[i++] = (char)('0' + u % 10); u /= 10; } while (u);
  int j = 0;
  if (v < 0) buf[j++] = '-';
  while (i) buf[j++] = tmp[--i];
  buf[j] = 0;
}

static struct sigaction old_segv, old_bus, old_ill, old_trap, old_abrt;

static struct sigaction *old_for(int sig) {
  switch (sig) {
    case SIGSEGV: return &old_segv;
    case SIGBUS: return &old_bus;
    case SIGILL: return &old_ill;
    case SIGTRAP: return &old_trap;
    default: return &old_abrt;
  }
}

static void chain(int sig, siginfo_t *info, void *uctx) {
  struct sigaction *old = old_for(sig);
  if (old->sa_flags & SA_SIGINFO) {
    if (old->sa_sigaction) { old->sa_sigaction(sig, info, uctx); return; }
  } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN && old->sa_handler) {
    old->sa_handler(sig);
    return;
  }
  // Default action: restore and re-raise on return.
  signal(sig, SIG_DFL);
  raise(sig);
}

static void tc_fatal_signal(int sig, siginfo_t *info, void *uctx) {
  tc_thread_state *s = &tc_tls;
  char num[24];
  if (s->g && (sig == SIGSEGV || sig == SIGBUS)) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    if (addr >= s->guard_lo && addr < s->guard_hi) {
      format_i64(num, s->goid);
      tc_write_stderr("runtime: goroutine stack exceeds its limit\ngoroutine ");
      tc_write_stderr(num);
      tc_write_stderr(" stack overflow\nfatal error: stack overflow\n");
      _exit(2);
    }
  }
  if (s->g) {
    format_i64(num, s->goid);
    const char *name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS"
                     : sig == SIGILL ? "SIGILL" : sig == SIGTRAP ? "SIGTRAP" : "SIGABRT";
    tc_write_stderr("panic: fatal signal ");
    tc_write_stderr(name);
    tc_write_stderr(" in goroutine ");
    tc_write_stderr(num);
    tc_write_stderr("\n\ngoroutine ");
    tc_write_stderr(num);
    tc_write_stderr(" [running]\n");
  }
  chain(sig, info, uctx);
}

static pthread_once_t signals_once = PTHREAD_ONCE_INIT;

static void install_one(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = tc_fatal_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, old_for(sig));
}

static void install_all(void) {
  install_one(SIGSEGV);
  install_one(SIGBUS);
  install_one(SIGILL);
  install_one(SIGTRAP);
  install_one(SIGABRT);
}

void tc_signals_install(void) { pthread_once(&signals_once, install_all); }

void tc_signals_thread_init(void) {
  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) && cur.ss_size >= 65536)
    return;
  size_t size = 65536;
  void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss;
  ss.ss_sp = mem;
  ss.ss_size = size;
  ss.ss_flags = 0;
  sigaltstack(&ss, NULL);
}

// MARK: - Futex lock (Drepper's three-state mutex) and note.

#if defined(__linux__)
static void futex_wait(uint32_t *addr, uint32_t val, int64_t ns) {
  struct timespec ts, *tsp = NULL;
  if (ns >= 0) {
    ts.tv_sec = ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    tsp = &ts;
  }
  syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}
static void futex_wake(uint32_t *addr, int n) {
  syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}
#else
static void futex_wait(uint32_t *addr, uint32_t val, int64_t ns) {
  (void)addr; (void)val;
  usleep(ns >= 0 && ns < 50000 ? (useconds_t)(ns / 1000) : 50);
}
static void futex_wake(uint32_t *addr, int n) { (void)addr; (void)n; }
#endif

// key: 0 unlocked, 1 locked, 2 locked with (possible) waiters.
bool tc_lock_try(tc_lock *l) {
  uint32_t z = 0;
  return __atomic_compare_exchange_n(&l->key, &z, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void tc_lock_acquire(tc_lock *l) {
  uint32_t c = 0;
  if (__atomic_compare_exchange_n(&l->key, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return;
  for (int spin = 0; spin < 100; spin++) {
    c = 0;
    if (__atomic_load_n(&l->key, __ATOMIC_RELAXED) == 0 &&
        __atomic_compare_exchange_n(&l->key, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return;
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
  }
  while (__atomic_exchange_n(&l->key, 2, __ATOMIC_ACQUIRE) != 0) futex_wait(&l->key, 2, -1);
}

void tc_lock_release(tc_lock *l) {
  if (__atomic_exchange_n(&l->key, 0, __ATOMIC_RELEASE) == 2) futex_wake(&l->key, 1);
}

void tc_note_clear(tc_note *n) { __atomic_store_n(&n->key, 0, __ATOMIC_RELAXED); }

void tc_note_wakeup(tc_note *n) {
  uint32_t old = __atomic_exchange_n(&n->key, 1, __ATOMIC_RELEASE);
  if (old == 0) futex_wake(&n->key, INT_MAX);
}

bool tc_note_sleep(tc_note *n, int64_t timeout_ns) {
  if (timeout_ns < 0) {
    while (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) == 0) futex_wait(&n->key, 0, -1);
    return true;
  }
  int64_t deadline = tc_nanotime() + timeout_ns;
  while (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) == 0) {
    int64_t left = deadline - tc_nanotime();
    if (left <= 0) return false;
    futex_wait(&n->key, 0, left);
  }
  return true;
}

// MARK: - Threads and time

typedef struct { void (*fn)(void *); void *arg; } start_box;

static void *thread_main(void *p) {
  start_box b = *(start_box *)p;
  free(p);
  b.fn(b.arg);
  return NULL;
}

int tc_thread_start(void (*fn)(void *), void *arg) {
  start_box *b = malloc(sizeof *b);
  if (!b) return ENOMEM;
  b->fn = fn;
  b->arg = arg;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_t t;
  int r = pthread_create(&t, &attr, thread_main, b);
  pthread_attr_destroy(&attr);
  if (r != 0) free(b);
  return r;
}

int64_t tc_nanotime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tc_usleep(uint32_t usec) { usleep(usec); }

int64_t tc_thread_id(void) {
#if defined(__linux__)
  return (int64_t)syscall(SYS_gettid);
#else
  return (int64_t)(uintptr_t)pthread_self();
#endif
}

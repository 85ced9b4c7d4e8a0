// CContext: the machine-level layer under the GMP scheduler.
//
// What lives here and why it is C:
//   * tc_switch: the hand-written context switch (x86_64 and arm64 assembly) plus the
//     bookkeeping the toolchain needs at every switch: Swift's exclusivity access set,
//     and the ThreadSanitizer / AddressSanitizer fiber hooks (weakly linked, so they cost a
//     predictable branch when no sanitizer is loaded).
//   * goroutine stacks: slabs of mmap'd stacks with guard regions (MADV_GUARD_INSTALL when
//     the kernel has it, so a guard costs no extra memory mapping; mprotect otherwise).
//   * per-thread state read only through out-of-line accessors. Release builds may cache a
//     thread-local address across a call; a goroutine can resume on another thread after any
//     switch, so Swift code must never hold on to a TLS-derived address. Every accessor here
//     recomputes it.
//   * a futex-based lock and note (Go's lock_futex.go) that never record a thread identity,
//     so they stay correct when the code that holds them migrates between threads.
//   * the fatal-signal handler that turns a guard-region fault into
//     "goroutine N stack overflow" instead of a bare SIGSEGV.
#ifndef CCONTEXT_H
#define CCONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Execution contexts

/// A saved execution context: a stack pointer plus what must travel with it.
/// Owned by whichever thread is running or last ran it; the scheduler's hand-off
/// (a run-queue release/acquire pair) orders accesses between threads.
typedef struct tc_context {
  void *sp;                  // saved stack pointer while switched out
  void *stack_lo;            // lowest usable byte (just above the guard); NULL for a thread stack
  size_t stack_size;         // usable bytes
  void (*entry)(void *);     // first function run on this context
  void *entry_arg;
  void *tsan_fiber;          // ThreadSanitizer fiber, when TSan is loaded
  unsigned tsan_fiber_lives; // goroutine lives `tsan_fiber` has carried (switch.c)
  void *asan_fake_stack;     // AddressSanitizer fake-stack save slot
  uintptr_t exclusivity[2];  // Swift exclusivity access set of a goroutine while switched out
  int is_thread;             // 1 for an M's g0 (the thread's own stack)
} tc_context;

/// Prepares `ctx` to start `entry(arg)` on the stack [stack_lo, stack_lo + size) the first
/// time it is switched to. `entry` must never return: it ends by tc_switch_final. `ctx`
/// must be zeroed or a context that is no longer running (a reused goroutine's): under
/// ThreadSanitizer its fiber is carried over to the new life.
void tc_context_init(tc_context *ctx, void *stack_lo, size_t size,
                     void (*entry)(void *), void *arg);

/// Describes the calling thread's own stack as a context (an M's g0). Call on that thread.
void tc_context_init_thread(tc_context *ctx);
/// The calling thread's stack size in bytes (0 if unknown), looked up once per thread.
size_t tc_thread_stack_size(void);

/// Releases per-context sanitizer state (a TSan fiber goes back to a process-wide pool).
/// The context must not be running.
void tc_context_destroy(tc_context *ctx);

/// Saves the current execution into `from` and resumes `to`. Returns when something
/// switches back to `from`, possibly on another thread.
void tc_switch(tc_context *from, tc_context *to);

/// Like tc_switch, but `from` will never be resumed (the goroutine exited).
void tc_switch_final(tc_context *from, tc_context *to);

/// 1 when a sanitizer's fiber hooks are loaded (ASan or TSan): tc_switch_raw bypasses them,
/// so a context entered or left by it would confuse the sanitizer.
int tc_switch_hooks_loaded(void);

/// Switches only the registers: no exclusivity or sanitizer bookkeeping. For benchmarks of
/// the raw switch cost (gcbench's sched suite).
void tc_switch_raw(tc_context *from, tc_context *to);


// MARK: - Stacks

/// How guard regions are made.
enum {
  TC_GUARD_MADVISE = 1,   // MADV_GUARD_INSTALL: no extra mapping per stack
  TC_GUARD_MPROTECT = 2,  // PROT_NONE region: two mappings per stack
};

/// Maps a slab of `count` stacks, each laid out as [guard][usable], and installs the guards.
/// Returns the slab base or NULL (errno set). `*mode` receives TC_GUARD_*.
/// Stack i's usable region starts at base + i*(guard+usable) + guard.
void *tc_stack_slab_map(size_t count, size_t usable, size_t guard, int *mode);

/// How many times the asked-for stack size goroutines get (below 1 MiB): 4 under
/// AddressSanitizer, else 1.
size_t tc_stack_sanitizer_multiplier(void);

/// Readies a slab whose stacks are no longer used for another pool: clears ASan's poisoning of
/// its frames; returns 0 when the slab cannot be reused (under TSan) and must be unmapped.
int tc_stack_slab_prepare_reuse(void *base, size_t len);

/// vm.max_map_count, or 65530 when it cannot be read.
long tc_max_map_count(void);

/// Current number of mappings of this process (lines of /proc/self/maps), or -1.
long tc_map_count(void);

/// Resident set size of this process in bytes (from /proc/self/statm), or -1.
long tc_rss_bytes(void);

// MARK: - Per-thread state (always out of line; see the header comment)

void *tc_tls_m(void);
void tc_tls_set_m(void *m);
/// Records the goroutine running on this thread: an opaque pointer, its id and its guard
/// region (for the overflow handler). Pass NULL/0 when the thread returns to g0.
void tc_tls_set_g(void *g, int64_t goid, void *guard_lo, void *guard_hi);
void *tc_tls_g(void);
int64_t tc_tls_goid(void);

// MARK: - Signals

/// Installs the process-wide handlers for SIGSEGV/SIGBUS (stack overflow) and for the crash
/// signals a Swift trap raises (SIGILL/SIGTRAP/SIGABRT), which name the goroutine before the
/// previous handler runs. Idempotent.
void tc_signals_install(void);

/// Gives the calling thread an alternate signal stack so the overflow handler can run.
void tc_signals_thread_init(void);

// MARK: - Futex lock and note (Go's lock_futex.go)

/// A mutex that is safe to take in a goroutine and release after migrating. 0 = unlocked.
typedef struct tc_lock { uint32_t key; } tc_lock;
void tc_lock_acquire(tc_lock *l);
void tc_lock_release(tc_lock *l);
bool tc_lock_try(tc_lock *l);

/// A one-shot wake-up (Go's note): sleep until wakeup, then clear before reuse.
typedef struct tc_note { uint32_t key; } tc_note;
void tc_note_clear(tc_note *n);
void tc_note_wakeup(tc_note *n);
/// Sleeps until woken or `timeout_ns` passes (< 0: forever). Returns true when woken.
bool tc_note_sleep(tc_note *n, int64_t timeout_ns);

// MARK: - Threads and time

/// Starts a detached OS thread running fn(arg). Returns 0 or an errno value.
int tc_thread_start(void (*fn)(void *), void *arg);
/// Monotonic nanoseconds.
int64_t tc_nanotime(void);
/// Sleeps the OS thread.
void tc_usleep(uint32_t usec);
/// An OS thread id for diagnostics.
int64_t tc_thread_id(void);
/// Writes a message straight to fd 2 (async-signal-safe) .
void tc_write_stderr(const char *msg);

// MARK: - Sockets and epoll (net.c; Linux). Each returns -errno on failure.

/// One readiness event from tc_epoll_wait: the registration's data and TC_POLL_* bits.
typedef struct tc_poll_event { uint64_t data; uint32_t ready; } tc_poll_event;
enum { TC_POLL_READ = 1, TC_POLL_WRITE = 2, TC_POLL_ERROR = 4 };
int tc_epoll_create(void);
/// Registers `fd` edge-triggered for EPOLLIN|EPOLLOUT|EPOLLRDHUP with `data`.
int tc_epoll_add(int ep, int fd, uint64_t data);
int tc_epoll_add_level(int ep, int fd, uint64_t data);
int tc_epoll_del(int ep, int fd);
/// epoll_wait for at most `max` (<= 128) events; timeout_ms < 0 blocks.
int tc_epoll_wait(int ep, tc_poll_event *out, int max, int timeout_ms);
int tc_eventfd_create(void);
void tc_eventfd_signal(int fd);
void tc_eventfd_drain(int fd);
/// A non-blocking listening TCP socket on a numeric address ("localhost": 127.0.0.1).
int tc_tcp_listen(const char *host, int port, int backlog);
/// A non-blocking TCP socket with connect started (EINPROGRESS is not an error).
int tc_tcp_connect(const char *host, int port);
int tc_tcp_accept(int lfd);
/// The longest Unix socket path (sun_path less its terminating NUL).
int tc_unix_path_max(void);
/// A non-blocking listening Unix stream socket bound to `path` (-ENAMETOOLONG if it does not fit).
int tc_unix_listen(const char *path, int backlog);
/// A non-blocking Unix stream socket with connect to `path` started.
int tc_unix_connect(const char *path);
/// accept4 without TCP options.
int tc_unix_accept(int lfd);
int tc_unlink(const char *path);
/// The pending socket error (SO_ERROR) as -errno, 0 for none.
int tc_sock_error(int fd);
int tc_sock_local_port(int fd);
long tc_sock_recv(int fd, void *buf, size_t n);
long tc_sock_send(int fd, const void *buf, size_t n);
int tc_sock_shutdown_write(int fd);
/// SO_LINGER {on, 0}: closing the socket sends a reset (RST) instead of a FIN.
int tc_sock_set_linger_reset(int fd);
int tc_fd_close(int fd);
/// Raises the soft RLIMIT_NOFILE to `want` (capped at the hard limit); returns the new soft limit.
long tc_raise_nofile(long want);

// MARK: - Prefetch

/// Asks the CPU to bring the cache line holding `p` in for reading, without waiting for it
/// (the mark drain issues it for a grey object's header several objects before scanning it).
static inline void tc_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

// MARK: - Relaxed word access for lock-free ring slots

static inline uintptr_t tc_load_relaxed(const uintptr_t *p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline void tc_store_relaxed(uintptr_t *p, uintptr_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

#ifdef __cplusplus
}
#endif
#endif

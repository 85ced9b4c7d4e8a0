// The context switch.
//
// A context is a stack pointer. Switching pushes the callee-saved state of the running code on
// its own stack, stores the stack pointer into `from`, loads `to`'s stack pointer and pops
// the state that was pushed when `to` was switched out. Everything caller-saved is already
// dead at the call by the ABI, so this is the complete state of a suspended function call.
//
//   x86_64 (SysV): rbp rbx r12-r15, then 16 bytes holding the x87 control word (at sp+0)
//                  and MXCSR (at sp+8), so rounding modes and exception masks travel with
//                  the goroutine, not the thread. Go's gogo/mcall carry neither (Go code
//                  cannot change them), but Swift code can (fesetround, fesetenv), and the
//                  SysV ABI makes their control bits callee-saved, so a goroutine that
//                  changed its rounding mode and then migrated would otherwise leak it into
//                  whatever that thread runs next. The stores are cheap; the loads
//                  (ldmxcsr, fldcw) are the slow, serializing part, so each is skipped
//                  when the incoming value equals the one in force (the common case: no
//                  goroutine ever changes them). The outgoing values are read into
//                  registers before the stack pointer is published, never from the
//                  outgoing frame afterwards.
//   arm64 (AAPCS64): x19-x28, x29 (fp), x30 (lr), d8-d15 and FPCR in a 176-byte frame.
//
// A new context is given a fake frame whose "return address" is a trampoline that moves
// the saved entry/arg registers into place and calls tc_context_start, which never returns.
//
// Around the raw switch, tc_switch keeps three pieces of per-thread runtime state right:
//   * Swift's dynamic exclusivity checking keeps a thread-local set of live accesses. A
//     goroutine's accesses are popped into its own two-word buffer when it switches out and
//     pushed back when it resumes (swift_task_exit/enterThreadLocalContext, the same entry
//     points the concurrency runtime uses per Task). Weakly linked.
//   * ThreadSanitizer fibers: each goroutine is a fiber; __tsan_switch_to_fiber before the
//     switch (flag 0: the switch synchronizes, like our run-queue hand-off does). Fibers are
//     recycled, as Go recycles Gs, rather than destroyed: see "ThreadSanitizer fibers" below.
//   * AddressSanitizer: __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber
//     tell it which stack is live so it does not report the other stacks' frames.
#define _GNU_SOURCE
#include "CContext.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__APPLE__)
#define TC_ASM_SYM(name) "_" #name
#define TC_ASM_TYPE(name)
#define TC_ASM_SIZE(name)
#else
#define TC_ASM_SYM(name) #name
#define TC_ASM_TYPE(name) ".type " #name ", @function\n"
#define TC_ASM_SIZE(name) ".size " #name ", .-" #name "\n"
#endif

void tc_context_switch_asm(void **save_sp, void *load_sp);
void tc_context_trampoline_asm(void);

#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".globl " TC_ASM_SYM(tc_context_switch_asm) "\n"
    TC_ASM_TYPE(tc_context_switch_asm)
    ".p2align 4\n"
    TC_ASM_SYM(tc_context_switch_asm) ":\n"
    "  pushq %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  subq $16, %rsp\n"
    "  stmxcsr 8(%rsp)\n"
    "  fnstcw (%rsp)\n"
    "  movl 8(%rsp), %ecx\n"
    "  movzwl (%rsp), %edx\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  cmpl 8(%rsp), %ecx\n"
    "  je 1f\n"
    "  ldmxcsr 8(%rsp)\n"
    "1:\n"
    "  cmpw (%rsp), %dx\n"
    "  je 2f\n"
    "  fldcw (%rsp)\n"
    "2:\n"
    "  addq $16, %rsp\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  ret\n"
    TC_ASM_SIZE(tc_context_switch_asm)
    ".globl " TC_ASM_SYM(tc_context_trampoline_asm) "\n"
    TC_ASM_TYPE(tc_context_trampoline_asm)
    ".p2align 4\n"
    TC_ASM_SYM(tc_context_trampoline_asm) ":\n"
    "  movq %r13, %rdi\n"
    "  callq *%r12\n"
    "  ud2\n"
    TC_ASM_SIZE(tc_context_trampoline_asm));
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".globl " TC_ASM_SYM(tc_context_switch_asm) "\n"
    TC_ASM_TYPE(tc_context_switch_asm)
    ".p2align 4\n"
    TC_ASM_SYM(tc_context_switch_asm) ":\n"
    "  sub sp, sp, #176\n"
    "  stp x19, x20, [sp, #0]\n"
    "  stp x21, x22, [sp, #16]\n"
    "  stp x23, x24, [sp, #32]\n"
    "  stp x25, x26, [sp, #48]\n"
    "  stp x27, x28, [sp, #64]\n"
    "  stp x29, x30, [sp, #80]\n"
    "  stp d8, d9, [sp, #96]\n"
    "  stp d10, d11, [sp, #112]\n"
    "  stp d12, d13, [sp, #128]\n"
    "  stp d14, d15, [sp, #144]\n"
    "  mrs x9, fpcr\n"
    "  str x9, [sp, #160]\n"
    "  mov x9, sp\n"
    "  str x9, [x0]\n"
    "  mov sp, x1\n"
    "  ldr x9, [sp, #160]\n"
    "  msr fpcr, x9\n"
    "  ldp x19, x20, [sp, #0]\n"
    "  ldp x21, x22, [sp, #16]\n"
    "  ldp x23, x24, [sp, #32]\n"
    "  ldp x25, x26, [sp, #48]\n"
    "  ldp x27, x28, [sp, #64]\n"
    "  ldp x29, x30, [sp, #80]\n"
    "  ldp d8, d9, [sp, #96]\n"
    "  ldp d10, d11, [sp, #112]\n"
    "  ldp d12, d13, [sp, #128]\n"
    "  ldp d14, d15, [sp, #144]\n"
    "  add sp, sp, #176\n"
    "  ret\n"
    TC_ASM_SIZE(tc_context_switch_asm)
    ".globl " TC_ASM_SYM(tc_context_trampoline_asm) "\n"
    TC_ASM_TYPE(tc_context_trampoline_asm)
    ".p2align 4\n"
    TC_ASM_SYM(tc_context_trampoline_asm) ":\n"
    "  mov x0, x20\n"
    "  blr x19\n"
    "  brk #0\n"
    TC_ASM_SIZE(tc_context_trampoline_asm));
#else
#error "CContext supports x86_64 and arm64"
#endif

// Weak references: resolved when the Swift runtime or a sanitizer runtime is loaded.
extern void swift_task_enterThreadLocalContext(char *state) __attribute__((weak));
extern void swift_task_exitThreadLocalContext(char *state) __attribute__((weak));
extern void *__tsan_get_current_fiber(void) __attribute__((weak));
extern void *__tsan_create_fiber(unsigned flags) __attribute__((weak));
extern void __tsan_destroy_fiber(void *fiber) __attribute__((weak));
extern void __tsan_switch_to_fiber(void *fiber, unsigned flags) __attribute__((weak));
extern void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom,
                                           size_t size) __attribute__((weak));
extern void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                            size_t *size_old) __attribute__((weak));

// The first code run on a new context.
static void tc_context_start(void *arg) {
  tc_context *ctx = (tc_context *)arg;
  if (__sanitizer_finish_switch_fiber) __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
  ctx->entry(ctx->entry_arg);
  __builtin_trap();  // entry must leave by tc_switch_final
}

// ThreadSanitizer fibers.
//
// TSan's fiber teardown (FiberDestroy -> ThreadFinish -> ThreadContext::OnFinished) walks
// the fiber's trace-part list from Trace.local_head, a field the LLVM 21 runtime bundled
// with Swift 6.3 leaves uninitialised until the fiber records its first trace event
// (fixed upstream by llvm/llvm-project#171766, not in this toolchain). A fiber destroyed
// before it traced anything walks garbage; CI died so in OnFinished (SIGSEGV, then TSan's
// own CHECK(thr->slot) in its signal handler) while a dropped runtime destroyed its
// goroutines. Making the fiber current for an instant before destroying it was not enough:
// CI died with that workaround in place. (A C reproducer that destroys never-run fibers
// crashes without it and not with it, so why it failed in CI is not established; destroying
// almost no fibers avoids the question.)
//
// So a fiber is destroyed almost never. A reused goroutine keeps its fiber for its next
// life (Go's gfput/gfget keep the G; its TSan identity goes with it), and a goroutine that
// is freed gives its fiber to a process-wide pool that the next new goroutine takes from.
// The happens-before edge this adds, from a fiber's previous life to its next, is one the
// program has anyway: a G is reused only after its exit passed through a free list.
//
// The one cost is TSan's per-fiber shadow call stack: a goroutine leaves by tc_switch_final
// from inside its entry function, so each life leaves its few frames on it, and the shadow
// stack (64 Ki entries, unchecked in release TSan) would overflow after enough lives. A
// fiber therefore carries at most TC_TSAN_FIBER_LIVES lives; then it is destroyed, after
// an explicit release while current (__tsan_release records an event, so local_head is set
// even if the fiber never ran) and a no-sync switch back, and a fresh one replaces it.
#define TC_TSAN_FIBER_LIVES 64u

extern void __tsan_release(void *addr) __attribute__((weak));
static char tsan_destroy_mark;  // the address a dying fiber releases on; never acquired

typedef struct tc_pooled_fiber { void *fiber; unsigned lives; } tc_pooled_fiber;
static pthread_mutex_t tsan_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static tc_pooled_fiber *tsan_pool;   // guarded by tsan_pool_lock
static size_t tsan_pool_count;       // guarded by tsan_pool_lock
static size_t tsan_pool_capacity;    // guarded by tsan_pool_lock

static void tsan_fiber_destroy(void *fiber) {
  void *self = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(fiber, 0);
  if (__tsan_release) __tsan_release(&tsan_destroy_mark);
  __tsan_switch_to_fiber(self, 1);
  __tsan_destroy_fiber(fiber);
}

static void tsan_pool_put(void *fiber, unsigned lives) {
  pthread_mutex_lock(&tsan_pool_lock);
  if (tsan_pool_count == tsan_pool_capacity) {
    size_t capacity = tsan_pool_capacity ? 2 * tsan_pool_capacity : 64;
    tc_pooled_fiber *grown = realloc(tsan_pool, capacity * sizeof *grown);
    if (!grown) {  // out of memory: fall back to destroying it
      pthread_mutex_unlock(&tsan_pool_lock);
      tsan_fiber_destroy(fiber);
      return;
    }
    tsan_pool = grown;
    tsan_pool_capacity = capacity;
  }
  tsan_pool[tsan_pool_count++] = (tc_pooled_fiber){fiber, lives};
  pthread_mutex_unlock(&tsan_pool_lock);
}

static tc_pooled_fiber tsan_pool_take(void) {
  tc_pooled_fiber taken = {NULL, 0};
  pthread_mutex_lock(&tsan_pool_lock);
  if (tsan_pool_count > 0) taken = tsan_pool[--tsan_pool_count];
  pthread_mutex_unlock(&tsan_pool_lock);
  return taken;
}

// The fiber for a context's next life: its own (a reused goroutine), a pooled one, or a
// new one once the candidate has carried TC_TSAN_FIBER_LIVES lives.
static void tsan_fiber_for_new_life(tc_context *ctx, void *fiber, unsigned lives) {
  if (!fiber) {
    tc_pooled_fiber pooled = tsan_pool_take();
    fiber = pooled.fiber;
    lives = pooled.lives;
  }
  if (fiber && lives >= TC_TSAN_FIBER_LIVES) {
    tsan_fiber_destroy(fiber);
    fiber = NULL;
  }
  if (!fiber) {
    fiber = __tsan_create_fiber(0);
    lives = 0;
  }
  ctx->tsan_fiber = fiber;
  ctx->tsan_fiber_lives = lives + 1;
}

void tc_context_init(tc_context *ctx, void *stack_lo, size_t size, void (*entry)(void *),
                     void *arg) {
  void *fiber = ctx->tsan_fiber;
  unsigned lives = ctx->tsan_fiber_lives;
  memset(ctx, 0, sizeof *ctx);
  ctx->stack_lo = stack_lo;
  ctx->stack_size = size;
  ctx->entry = entry;
  ctx->entry_arg = arg;
  uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
#if defined(__x86_64__)
  // sp+0 x87 cw | sp+8 mxcsr | r15 r14 r13(arg) r12(entry) rbx rbp | ret=trampoline | 0 0
  uintptr_t *sp = (uintptr_t *)(top - 88);
  memset(sp, 0, 88);
  sp[0] = 0x037F;                      // x87 control word: default
  sp[1] = 0x1F80;                      // MXCSR: default (all exceptions masked, nearest)
  sp[4] = (uintptr_t)ctx;              // r13
  sp[5] = (uintptr_t)tc_context_start; // r12
  sp[8] = (uintptr_t)tc_context_trampoline_asm;
#elif defined(__aarch64__)
  uintptr_t *sp = (uintptr_t *)(top - 176);
  memset(sp, 0, 176);
  sp[0] = (uintptr_t)tc_context_start;  // x19
  sp[1] = (uintptr_t)ctx;               // x20
  sp[11] = (uintptr_t)tc_context_trampoline_asm;  // x30
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  sp[20] = fpcr;
#endif
  ctx->sp = sp;
  if (__tsan_create_fiber) tsan_fiber_for_new_life(ctx, fiber, lives);
}

// The calling thread's stack, looked up once per thread: for the process's main thread
// glibc's pthread_getattr_np reads /proc/self/maps, and a thread that runs one
// deterministic scheduler after another (Scheduler.run on the calling thread) asks at
// every run.
static __thread void *thread_stack_lo;
static __thread size_t thread_stack_size;
static __thread int thread_stack_known;

static void thread_stack(void **lo, size_t *size) {
  if (!thread_stack_known) {
    thread_stack_known = 1;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void *addr = NULL;
      size_t sz = 0;
      if (pthread_attr_getstack(&attr, &addr, &sz) == 0) {
        thread_stack_lo = addr;
        thread_stack_size = sz;
      }
      pthread_attr_destroy(&attr);
    }
  }
  *lo = thread_stack_lo;
  *size = thread_stack_size;
}

size_t tc_thread_stack_size(void) {
  void *lo;
  size_t size;
  thread_stack(&lo, &size);
  return size;
}

void tc_context_init_thread(tc_context *ctx) {
  memset(ctx, 0, sizeof *ctx);
  ctx->is_thread = 1;
  thread_stack(&ctx->stack_lo, &ctx->stack_size);
  if (__tsan_get_current_fiber) ctx->tsan_fiber = __tsan_get_current_fiber();
}

void tc_context_destroy(tc_context *ctx) {
  if (!ctx->is_thread && ctx->tsan_fiber) tsan_pool_put(ctx->tsan_fiber, ctx->tsan_fiber_lives);
  ctx->tsan_fiber = NULL;
  ctx->tsan_fiber_lives = 0;
}

static inline void tc_switch_common(tc_context *from, tc_context *to, int final) {
  if (!from->is_thread && swift_task_exitThreadLocalContext)
    swift_task_exitThreadLocalContext((char *)from->exclusivity);
  if (!to->is_thread && swift_task_enterThreadLocalContext)
    swift_task_enterThreadLocalContext((char *)to->exclusivity);
  if (__sanitizer_start_switch_fiber)
    __sanitizer_start_switch_fiber(final ? NULL : &from->asan_fake_stack, to->stack_lo,
                                   to->stack_size);
  if (__tsan_switch_to_fiber) __tsan_switch_to_fiber(to->tsan_fiber, 0);
  tc_context_switch_asm(&from->sp, to->sp);
  if (__sanitizer_finish_switch_fiber)
    __sanitizer_finish_switch_fiber(from->asan_fake_stack, NULL, NULL);
}

__attribute__((noinline)) void tc_switch(tc_context *from, tc_context *to) {
  tc_switch_common(from, to, 0);
}

__attribute__((noinline)) void tc_switch_final(tc_context *from, tc_context *to) {
  tc_switch_common(from, to, 1);
  __builtin_trap();
}

int tc_switch_hooks_loaded(void) {
  return __sanitizer_start_switch_fiber != NULL || __tsan_switch_to_fiber != NULL;
}

void tc_switch_raw(tc_context *from, tc_context *to) {
  tc_context_switch_asm(&from->sp, to->sp);
}

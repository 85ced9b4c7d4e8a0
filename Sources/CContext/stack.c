// Goroutine stacks.
//
// Stacks are carved from slabs: one mmap(MAP_NORESERVE) per slab of many stacks, each laid
// out as [guard][usable], growing down toward its guard. Pages are committed only when
// touched, so a parked goroutine costs the pages its frames reach, not its reservation.
//
// Guards are the reason for slabs. An mprotect'd guard splits the mapping, so every stack
// costs two kernel mappings and vm.max_map_count (65530 by default) caps a process near
// 32,000 goroutines. Linux 6.13 added MADV_GUARD_INSTALL, which marks pages as guard
// pages inside a mapping without splitting it: a slab stays one mapping however many
// stacks it holds. We use it when the kernel has it and fall back to mprotect otherwise
// (the scheduler then limits stack count against vm.max_map_count and says so).
#include "CContext.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

void *tc_stack_slab_map(size_t count, size_t usable, size_t guard, int *mode) {
  size_t stride = guard + usable;
  size_t total = stride * count;
  void *base = mmap(NULL, total, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return NULL;
  int m = TC_GUARD_MADVISE;
  for (size_t i = 0; i < count; i++) {
    char *g = (char *)base + i * stride;
    if (m == TC_GUARD_MADVISE && madvise(g, guard, MADV_GUARD_INSTALL) != 0) {
      if (i != 0) {  // the kernel accepted it before: a real failure
        int e = errno;
        munmap(base, total);
        errno = e;
        return NULL;
      }
      m = TC_GUARD_MPROTECT;
    }
    if (m == TC_GUARD_MPROTECT && mprotect(g, guard, PROT_NONE) != 0) {
      int e = errno;
      munmap(base, total);
      errno = e;
      return NULL;
    }
  }
  *mode = m;
  return base;
}

// Sanitizer runtimes, when one is loaded (weak: null otherwise).
extern void __asan_unpoison_memory_region(void const volatile *addr, size_t size)
    __attribute__((weak));
extern void *__tsan_create_fiber(unsigned flags) __attribute__((weak));

size_t tc_stack_sanitizer_multiplier(void) {
  // ASan's redzones and larger frames use up to ~3x the stack (its documentation's figure);
  // Go multiplies its stack guard the same way under the race detector.
  return __asan_unpoison_memory_region ? 4 : 1;
}

int tc_stack_slab_prepare_reuse(void *base, size_t len) {
  // TSan keeps the last accesses to every word in its shadow and forgets them only when the
  // memory is unmapped: a new runtime's goroutines on a kept slab would race with the dead
  // fibers that used it. Unmap instead.
  if (__tsan_create_fiber) return 0;
  // ASan's shadow still holds the redzones of the frames of goroutines that were abandoned
  // (never unwound) when their scheduler shut down; a new goroutine's frames there would be
  // reported as stack-buffer-overflows. munmap would clear them; a kept slab clears them here.
  if (__asan_unpoison_memory_region) __asan_unpoison_memory_region(base, len);
  return 1;
}

static long read_long_file(const char *path, long fallback) {
  FILE *f = fopen(path, "r");
  if (!f) return fallback;
  long v = fallback;
  if (fscanf(f, "%ld", &v) != 1) v = fallback;
  fclose(f);
  return v;
}

long tc_max_map_count(void) { return read_long_file("/proc/sys/vm/max_map_count", 65530); }

long tc_map_count(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  long n = 0;
  int c;
  while ((c = fgetc(f)) != EOF)
    if (c == '\n') n++;
  fclose(f);
  return n;
}

long tc_rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  int ok = fscanf(f, "%ld %ld", &size, &resident) == 2;
  fclose(f);
  return ok ? resident * sysconf(_SC_PAGESIZE) : -1;
}

/* mapped_range.h: a file's byte range read through a mapping instead of copied out of the page cache
 * (a hot page cache then costs the pass no memory copy), and SIGBUS turned into an error code. */
#ifndef _WIN32 /* POSIX only: on Windows, callers read the files instead */
#define _GNU_SOURCE /* MAP_POPULATE */
#include "mapped_range.h"
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int map_range(int fd, int64_t position, size_t bytes, MappedRange *out) {
  memset(out, 0, sizeof *out);
  struct stat st;
  if (position < 0 || fstat(fd, &st) != 0) {
    if (position < 0) errno = EINVAL;
    return MAP_FAILED_ERRNO;
  }
  if ((uint64_t)st.st_size < (uint64_t)position + bytes) return MAP_SHORT;
  if (bytes == 0) {
    out->bytes = (const uint8_t *)"";
    return MAP_OK;
  }
  const int64_t page = (int64_t)sysconf(_SC_PAGESIZE);
  const int64_t start = position - position % page;
  const size_t length = bytes + (size_t)(position - start);
  int flags = MAP_SHARED;
#ifdef MAP_POPULATE
  flags |= MAP_POPULATE;
#endif
  void *base = mmap(NULL, length, PROT_READ, flags, fd, (off_t)start);
  if (base == MAP_FAILED) return MAP_FAILED_ERRNO;
  out->base = base;
  out->length = length;
  out->bytes = (const uint8_t *)base + (position - start);
  return MAP_OK;
}

void unmap_range(MappedRange *range) {
  if (range->base != NULL) munmap(range->base, range->length);
  memset(range, 0, sizeof *range);
}

/* The guarded call running on this thread, if any: where a SIGBUS on this thread jumps to. */
static _Thread_local sigjmp_buf *bus_jump;
static struct sigaction previous_bus;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;

/* Ours if a guarded call is running on the faulting thread; otherwise what was there before. */
static void on_bus(int sig, siginfo_t *info, void *context) {
  if (bus_jump != NULL) siglongjmp(*bus_jump, 1);
  if (previous_bus.sa_flags & SA_SIGINFO) {
    if (previous_bus.sa_sigaction != NULL) previous_bus.sa_sigaction(sig, info, context);
    return;
  }
  if (previous_bus.sa_handler == SIG_IGN) return;
  if (previous_bus.sa_handler == SIG_DFL) {
    signal(SIGBUS, SIG_DFL);
    raise(SIGBUS);
    return;
  }
  previous_bus.sa_handler(sig);
}

static void install_bus_handler(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_bus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previous_bus);
}

int guarded_call(int (*fn)(void *), void *arg, int *result) {
  pthread_once(&bus_once, install_bus_handler);
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) != 0) {
    bus_jump = NULL;
    return MAP_BUS;
  }
  bus_jump = &jump;
  *result = fn(arg);
  bus_jump = NULL;
  return MAP_OK;
}
#endif

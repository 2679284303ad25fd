/* A byte range of an open file mapped read-only (mapped_range.c), and a call guarded against the
 * SIGBUS that reading a mapping raises where the file was truncated under it. POSIX only. */
#ifndef DELTASCOPE_MAPPED_RANGE_H
#define DELTASCOPE_MAPPED_RANGE_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  const uint8_t *bytes; /* the range's first byte */
  void *base;           /* the mapping (from the page boundary at or before the range) */
  size_t length;        /* of the mapping */
} MappedRange;

/* Outcomes of map_range and guarded_call. */
enum { MAP_OK = 0, MAP_SHORT = 1, MAP_FAILED_ERRNO = 2, MAP_BUS = 3 };

/* Maps `bytes` bytes of `fd` from `position` (its pages faulted in at once where the kernel can);
 * MAP_SHORT if the file ends before the range, MAP_FAILED_ERRNO (errno set) if fstat or mmap fail. */
int map_range(int fd, int64_t position, size_t bytes, MappedRange *out);
void unmap_range(MappedRange *range);

/* fn(arg) on the calling thread; MAP_BUS instead of a crash if it touched a mapped page the file no
 * longer holds (the file shrank meanwhile), else MAP_OK and fn's result in *result. fn must take no
 * lock and allocate nothing while it reads a mapping: it is left where the fault happened. */
int guarded_call(int (*fn)(void *), void *arg, int *result);

#endif

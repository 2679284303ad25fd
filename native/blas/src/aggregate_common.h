/* What aggregate.c and dare.c share: the argument checks of their bindings, the deltas read from
 * checkpoints and a base, and the dispatch that gives each count and mode a loop of its own.
 * A file defines NAPI_ARGS_CODE before including this (see napi_args.h). */
#ifndef DELTASCOPE_AGGREGATE_COMMON_H
#define DELTASCOPE_AGGREGATE_COMMON_H
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include "napi_args.h"

#define MAX_DELTAS 4096
/* Counts with a loop of their own (a constant where inlined: per-delta state in registers). */
#define SMALL 8
#if defined(__GNUC__)
#define AGG_INLINE inline __attribute__((always_inline))
#else
#define AGG_INLINE inline
#endif

/* The deltas (an array of Float32Arrays of `size` elements each, size = out's length). */
static inline const float **delta_list(napi_env env, napi_value list, const char *fn, uint32_t *count, size_t size) {
  bool is_array = false;
  if (napi_is_array(env, list, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, list, count) != napi_ok) {
    fail(env, 0, "%s: deltas must be an array of Float32Arrays", fn);
    return NULL;
  }
  if (*count == 0 || *count > MAX_DELTAS) {
    fail(env, 1, "%s: 1 to %d deltas (got %u)", fn, MAX_DELTAS, *count);
    return NULL;
  }
  const float **deltas = (const float **)malloc(*count * sizeof(float *));
  if (deltas == NULL) {
    fail(env, 1, "%s: out of memory", fn);
    return NULL;
  }
  for (uint32_t i = 0; i < *count; i++) {
    napi_value element;
    size_t len;
    if (napi_get_element(env, list, i, &element) != napi_ok ||
        !typed(env, element, napi_float32_array, (void **)&deltas[i], &len) || len != size) {
      free(deltas);
      fail(env, 1, "%s: deltas[%u] must be a Float32Array of %zu elements (as out)", fn, i, size);
      return NULL;
    }
  }
  return deltas;
}

/* base (argument `value`): null, or a Float32Array of `size` elements. 0 (thrown) when neither. */
static inline int optional_base(napi_env env, napi_value value, const char *fn, size_t size, const float **base) {
  napi_valuetype type;
  size_t len = 0;
  *base = NULL;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_null) return 1;
  if (typed(env, value, napi_float32_array, (void **)base, &len) && len == size) return 1;
  fail(env, 1, "%s: base must be null or a Float32Array of %zu elements (as out)", fn, size);
  return 0;
}

/* Δᵢ[j]: the input itself, or θᵢ[j] − θ_base[j] rounded to float32. */
static AGG_INLINE float delta_at(const float *const *in, const float *base, uint32_t i, size_t j) {
  return base == NULL ? in[i][j] : (float)((double)in[i][j] - (double)base[j]);
}

/* What out[j] gets for the map's value m: m, or θ_base[j] + m rounded to float32 when merging. */
static AGG_INLINE float result_at(const float *base, int merge, size_t j, float m) {
  return merge ? (float)((double)base[j] + (double)m) : m;
}

/*
 * Runs BODY(c, base, merge) with the count c a constant from 1 to SMALL (else the variable `count`),
 * and base (NULL or not) and merge constants too, so that each case is a loop of its own with the
 * per-delta state in registers and no test of the mode per element. Uses the variables count, base
 * and merge of the function it is in.
 */
#define AGG_MODES(c, BODY)                                                                        \
  if (base == NULL) {                                                                             \
    BODY(c, NULL, 0);                                                                             \
  } else if (!merge) {                                                                            \
    BODY(c, base, 0);                                                                             \
  } else {                                                                                        \
    BODY(c, base, 1);                                                                             \
  }                                                                                               \
  return;
#define AGG_DISPATCH(BODY)                                                                        \
  switch (count) {                                                                                \
  case 1:                                                                                         \
    AGG_MODES(1, BODY)                                                                            \
  case 2:                                                                                         \
    AGG_MODES(2, BODY)                                                                            \
  case 3:                                                                                         \
    AGG_MODES(3, BODY)                                                                            \
  case 4:                                                                                         \
    AGG_MODES(4, BODY)                                                                            \
  case 5:                                                                                         \
    AGG_MODES(5, BODY)                                                                            \
  case 6:                                                                                         \
    AGG_MODES(6, BODY)                                                                            \
  case 7:                                                                                         \
    AGG_MODES(7, BODY)                                                                            \
  case 8:                                                                                         \
    AGG_MODES(8, BODY)                                                                            \
  default:                                                                                        \
    AGG_MODES(count, BODY)                                                                        \
  }

#endif

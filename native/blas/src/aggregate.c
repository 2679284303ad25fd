/*
 * The elementwise aggregators' hot loops (src-main/weights/aggregate-elementwise.ts)
 * over float32 deltas of one run of elements, with results bit for bit the JS functions' (the same
 * float64 operations in the same order per element, rounded to float32 once):
 *
 * aggregateMean(inputs, absolute, base, merge, out): out[j] = (Σᵢ Δᵢ[j]) / n, or of |Δᵢ[j]| when
 *   absolute; the sum runs in delta order from +0.
 * aggregateMedian(inputs, base, merge, out): out[j] = the middle of Δ₁[j] … Δₙ[j] sorted by the JS
 *   insertion sort (stable, `>` as the order: so NaN and ±0 land where the JS puts them), for even n
 *   the mean of the two middle values.
 *
 * Each takes a base too (null, or θ_base): then the inputs are checkpoints θᵢ and the deltas are
 * Δᵢ[j] = θᵢ[j] − θ_base[j] rounded to float32, computed as the elements are read (combineArrays'
 * [1, −1] of θᵢ and the base, as aggregatedSource makes them); with merge, out[j] = θ_base[j] + m[j]
 * rounded to float32 (its [1, 1] of the base and the map m). A merge over sources then reads each
 * input once, with no delta or map written out in between.
 *
 * "Bit for bit" holds for every result that is not NaN; a NaN comes out exactly where the JS gives one,
 * but its sign and payload are not pinned down: when two NaNs meet in a + b, V8 itself keeps one or the
 * other depending on how far it has optimised the function (tests/unit/weights/native-aggregate.test.ts
 * compares NaN as NaN).
 *
 * DARE's loop, with its mask streams, is in dare.c; what both share in aggregate_common.h.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#define NAPI_ARGS_CODE "DELTASCOPE_AGGREGATE"
#include "aggregate_common.h"

/* ---------------------------------------------------------------------------------------- mean */

static AGG_INLINE void mean_body(const float *const *in, uint32_t count, const float *base, int merge,
                                 int absolute, float *out, size_t size) {
  const double n = (double)count;
  for (size_t j = 0; j < size; j++) {
    double sum = 0;
    for (uint32_t i = 0; i < count; i++) {
      const double v = (double)delta_at(in, base, i, j);
      sum += absolute ? fabs(v) : v;
    }
    out[j] = result_at(base, merge, j, (float)(sum / n));
  }
}

static void mean(const float *const *in, uint32_t count, const float *base, int merge, int absolute, float *out,
                 size_t size) {
#define MEAN_ABS(c, b, m) mean_body(in, c, b, m, 1, out, size)
#define MEAN(c, b, m) mean_body(in, c, b, m, 0, out, size)
  if (absolute) {
    AGG_DISPATCH(MEAN_ABS)
  }
  AGG_DISPATCH(MEAN)
#undef MEAN_ABS
#undef MEAN
}

/* aggregateMean(inputs: Float32Array[], absolute: boolean, base: Float32Array | null, merge: boolean,
 * out: Float32Array) */
napi_value aggregate_mean(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 5;
  napi_value argv[5];
  float *out;
  const float *base;
  size_t size;
  bool absolute = false, merge = false;
  uint32_t count;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return fail(env, 0, "aggregateMean takes 5 arguments");
  if (napi_get_value_bool(env, argv[1], &absolute) != napi_ok || napi_get_value_bool(env, argv[3], &merge) != napi_ok ||
      !typed(env, argv[4], napi_float32_array, (void **)&out, &size))
    return fail(env, 0, "aggregateMean(inputs: Float32Array[], absolute: boolean, base, merge: boolean, out: Float32Array)");
  if (!optional_base(env, argv[2], "aggregateMean", size, &base)) return NULL;
  if (merge && base == NULL) return fail(env, 1, "aggregateMean: merge needs the base");
  const float **in = delta_list(env, argv[0], "aggregateMean", &count, size);
  if (in == NULL) return NULL;
  mean(in, count, base, merge, absolute, out, size);
  free(in);
  return NULL;
}

/* -------------------------------------------------------------------------------------- median */

/* medianOfDeltas' insertion sort of one column, comparison for comparison, and its middle value. */
static AGG_INLINE float median_sorted(const float *const *in, uint32_t count, const float *base, size_t j,
                                     double *column) {
  for (uint32_t i = 0; i < count; i++) {
    const double v = (double)delta_at(in, base, i, j);
    int64_t k = (int64_t)i - 1;
    while (k >= 0 && column[k] > v) {
      column[k + 1] = column[k];
      k--;
    }
    column[k + 1] = v;
  }
  return (float)(count % 2 == 1 ? column[(count - 1) / 2] : (column[count / 2 - 1] + column[count / 2]) / 2);
}

/*
 * Without NaN, that insertion sort is a stable sort by value: Δᵢ lands at its rank, #{k: Δₖ < Δᵢ} +
 * #{k < i: Δₖ = Δᵢ} (so of +0 and −0 the earlier delta comes first). The middle value is the one whose
 * rank is the middle: found by comparisons and bit masks, with no data-dependent branch (the sort's
 * branches are coin flips on real deltas), so the compiler runs several elements per vector. A block
 * that holds a NaN is done again, its columns with a NaN by the sort itself.
 */
#define MEDIAN_BLOCK 1024

static AGG_INLINE void median_body(const float *const *in, uint32_t count, const float *base, int merge,
                                   float *out, size_t size, double *column) {
  if (count > SMALL) {
    for (size_t j = 0; j < size; j++) out[j] = result_at(base, merge, j, median_sorted(in, count, base, j, column));
    return;
  }
  const uint32_t low = (count - 1) / 2, high = count / 2;
  for (size_t from = 0; from < size; from += MEDIAN_BLOCK) {
    const size_t to = size - from < MEDIAN_BLOCK ? size : from + MEDIAN_BLOCK;
    uint32_t nan = 0;
    for (size_t j = from; j < to; j++) {
      float v[SMALL];
      for (uint32_t i = 0; i < count; i++) {
        v[i] = delta_at(in, base, i, j);
        nan |= v[i] != v[i];
      }
      uint32_t at_low = 0, at_high = 0;
      for (uint32_t i = 0; i < count; i++) {
        uint32_t rank = 0;
        for (uint32_t k = 0; k < count; k++) rank += (v[k] < v[i]) | ((k < i) & (v[k] == v[i]));
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        at_low |= bits & ((uint32_t)0 - (uint32_t)(rank == low));
        at_high |= bits & ((uint32_t)0 - (uint32_t)(rank == high));
      }
      float a, b;
      memcpy(&a, &at_low, 4);
      memcpy(&b, &at_high, 4);
      out[j] = result_at(base, merge, j, count % 2 == 1 ? a : (float)(((double)a + (double)b) / 2));
    }
    if (!nan) continue;
    for (size_t j = from; j < to; j++) {
      int has_nan = 0;
      for (uint32_t i = 0; i < count; i++) {
        const float v = delta_at(in, base, i, j);
        has_nan |= v != v;
      }
      if (has_nan) out[j] = result_at(base, merge, j, median_sorted(in, count, base, j, column));
    }
  }
}

static void median(const float *const *in, uint32_t count, const float *base, int merge, float *out, size_t size,
                   double *column) {
#define MEDIAN(c, b, m) median_body(in, c, b, m, out, size, column)
  AGG_DISPATCH(MEDIAN)
#undef MEDIAN
}

/* aggregateMedian(inputs: Float32Array[], base: Float32Array | null, merge: boolean, out: Float32Array) */
napi_value aggregate_median(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4];
  float *out;
  const float *base;
  size_t size;
  bool merge = false;
  uint32_t count;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 4)
    return fail(env, 0, "aggregateMedian takes 4 arguments");
  if (napi_get_value_bool(env, argv[2], &merge) != napi_ok ||
      !typed(env, argv[3], napi_float32_array, (void **)&out, &size))
    return fail(env, 0, "aggregateMedian(inputs: Float32Array[], base, merge: boolean, out: Float32Array)");
  if (!optional_base(env, argv[1], "aggregateMedian", size, &base)) return NULL;
  if (merge && base == NULL) return fail(env, 1, "aggregateMedian: merge needs the base");
  const float **in = delta_list(env, argv[0], "aggregateMedian", &count, size);
  if (in == NULL) return NULL;
  double *column = (double *)malloc(count * sizeof(double));
  if (column == NULL) {
    free(in);
    return fail(env, 1, "aggregateMedian: out of memory");
  }
  median(in, count, base, merge, out, size, column);
  free(column);
  free(in);
  return NULL;
}

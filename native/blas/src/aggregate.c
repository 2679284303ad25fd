/*
 * The elementwise aggregators' hot loops (src-main/weights/aggregate-elementwise.ts, aggregate-dare.ts)
 * over float32 deltas of one run of elements, with results bit for bit the JS functions' (the same
 * float64 operations in the same order per element, rounded to float32 once):
 *
 * aggregateMean(inputs, absolute, base, merge, out): out[j] = (Σᵢ Δᵢ[j]) / n, or of |Δᵢ[j]| when
 *   absolute; the sum runs in delta order from +0.
 * aggregateMedian(inputs, base, merge, out): out[j] = the middle of Δ₁[j] … Δₙ[j] sorted by the JS
 *   insertion sort (stable, `>` as the order: so NaN and ±0 land where the JS puts them), for even n
 *   the mean of the two middle values.
 * dareChunk(inputs, states, p, rescale, divisor, base, merge, out): DARE's drop-and-rescale. Delta i
 *   draws one uniform per element, in element order, from its xoshiro128** stream (states[4i … 4i+3],
 *   the words of the JS Rng's getState(), written back advanced past the run); the entry is kept iff
 *   u ≥ p. out[j] = (Σ of the kept Δᵢ[j]·rescale, in delta order) / divisor.
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
 * The generator is src-main/shared/random.ts's Rng.nextUint32 and Rng.float, step for step (the
 * seeding stays in JS); tests/unit/weights/native-aggregate.test.ts checks the masks and the states
 * left against the JS Rng.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_SSE2_DARE 1
#else
#define HAVE_SSE2_DARE 0
#endif
#define NAPI_ARGS_CODE "DELTASCOPE_AGGREGATE"
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
static const float **delta_list(napi_env env, napi_value list, const char *fn, uint32_t *count, size_t size) {
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
static int optional_base(napi_env env, napi_value value, const char *fn, size_t size, const float **base) {
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

/* ---------------------------------------------------------------------------------------- DARE */

typedef struct {
  uint32_t s0, s1, s2, s3;
} Xoshiro;

/* Rng.nextUint32 (xoshiro128** 1.1). */
static AGG_INLINE uint32_t next_uint32(Xoshiro *r) {
  const uint32_t x = r->s1 * 5u;
  const uint32_t result = ((x << 7) | (x >> 25)) * 9u;
  const uint32_t t = r->s1 << 9;
  r->s2 ^= r->s0;
  r->s3 ^= r->s1;
  r->s1 ^= r->s2;
  r->s0 ^= r->s3;
  r->s2 ^= t;
  r->s3 = (r->s3 << 11) | (r->s3 >> 21);
  return result;
}

/* Rng.float() · 2^53: the integer (a·2^26 + b) of two draws' top bits. Rng.float() is it / 2^53, exact,
 * so `float() ≥ p` is `it ≥ ⌈p · 2^53⌉` (p · 2^53 is exact too). */
static AGG_INLINE uint64_t next_float53(Xoshiro *r) {
  const uint64_t a = next_uint32(r) >> 5;
  const uint64_t b = next_uint32(r) >> 6;
  return (a << 26) | b;
}

/* +0 where keep is 0 (adding it leaves the sum: it starts at +0 and is never −0), else v. */
static AGG_INLINE double kept_or_zero(double v, uint64_t keep) {
  uint64_t u;
  memcpy(&u, &v, 8);
  u &= (uint64_t)0 - keep;
  memcpy(&v, &u, 8);
  return v;
}

static AGG_INLINE void dare_body(const float *const *in, uint32_t count, const float *base, int merge, Xoshiro *rngs,
                                 uint64_t floor53, double rescale, double divisor, float *out, size_t size) {
  Xoshiro local[SMALL];
  const int small = count <= SMALL;
  if (small)
    for (uint32_t i = 0; i < count; i++) local[i] = rngs[i];
  for (size_t j = 0; j < size; j++) {
    double sum = 0;
    for (uint32_t i = 0; i < count; i++) {
      const uint64_t keep = next_float53(small ? &local[i] : &rngs[i]) >= floor53;
      sum += kept_or_zero((double)delta_at(in, base, i, j) * rescale, keep);
    }
    out[j] = result_at(base, merge, j, (float)(sum / divisor));
  }
  if (small)
    for (uint32_t i = 0; i < count; i++) rngs[i] = local[i];
}

#if HAVE_SSE2_DARE
/*
 * dare_body for up to SMALL deltas with the streams four to a vector (stream 4k + l in lane l of group
 * k): the same xoshiro128** steps lane by lane (×5 and ×9 as shifts and adds), and u ≥ p as
 * (a, b) ≥ (A, B) on the two draws' top bits, where ⌈p · 2^53⌉ = A · 2^26 + B. The sum is then added
 * delta by delta as in the scalar loop. (The streams are serial, so a vector holds streams, not
 * elements.)
 */
#define ROTL4(x, k) _mm_or_si128(_mm_slli_epi32((x), (k)), _mm_srli_epi32((x), 32 - (k)))

typedef struct {
  __m128i s0, s1, s2, s3;
} Xoshiro4;

static AGG_INLINE __m128i next_uint32x4(Xoshiro4 *r) {
  const __m128i x = _mm_add_epi32(_mm_slli_epi32(r->s1, 2), r->s1);
  const __m128i y = ROTL4(x, 7);
  const __m128i result = _mm_add_epi32(_mm_slli_epi32(y, 3), y);
  const __m128i t = _mm_slli_epi32(r->s1, 9);
  r->s2 = _mm_xor_si128(r->s2, r->s0);
  r->s3 = _mm_xor_si128(r->s3, r->s1);
  r->s1 = _mm_xor_si128(r->s1, r->s2);
  r->s0 = _mm_xor_si128(r->s0, r->s3);
  r->s2 = _mm_xor_si128(r->s2, t);
  r->s3 = ROTL4(r->s3, 11);
  return result;
}

static AGG_INLINE void dare_sse2(const float *const *in, uint32_t count, const float *base, int merge, Xoshiro *rngs,
                                 uint64_t floor53, double rescale, double divisor, float *out, size_t size) {
  const uint32_t groups = (count + 3) / 4;
  Xoshiro4 g[SMALL / 4];
  for (uint32_t k = 0; k < groups; k++) {
    uint32_t w[4][4];
    for (uint32_t l = 0; l < 4; l++) {
      /* a lane without a delta runs a stream of its own, never read */
      const Xoshiro r = 4 * k + l < count ? rngs[4 * k + l] : (Xoshiro){1, 0, 0, 0};
      w[0][l] = r.s0;
      w[1][l] = r.s1;
      w[2][l] = r.s2;
      w[3][l] = r.s3;
    }
    g[k] = (Xoshiro4){_mm_loadu_si128((const __m128i *)w[0]), _mm_loadu_si128((const __m128i *)w[1]),
                      _mm_loadu_si128((const __m128i *)w[2]), _mm_loadu_si128((const __m128i *)w[3])};
  }
  const __m128i A = _mm_set1_epi32((int32_t)(floor53 >> 26));
  const __m128i B = _mm_set1_epi32((int32_t)(floor53 & ((1u << 26) - 1)));
  for (size_t j = 0; j < size; j++) {
    double sum = 0;
    for (uint32_t k = 0; k < groups; k++) {
      const __m128i a = _mm_srli_epi32(next_uint32x4(&g[k]), 5);
      const __m128i b = _mm_srli_epi32(next_uint32x4(&g[k]), 6);
      /* a > A, or a = A and b ≥ B (all below 2^27: the signed compares are exact) */
      const __m128i keep =
          _mm_or_si128(_mm_cmpgt_epi32(a, A), _mm_andnot_si128(_mm_cmpgt_epi32(B, b), _mm_cmpeq_epi32(a, A)));
      const uint32_t lanes = (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(keep));
      for (uint32_t l = 0; l < 4 && 4 * k + l < count; l++)
        sum += kept_or_zero((double)delta_at(in, base, 4 * k + l, j) * rescale, (lanes >> l) & 1);
    }
    out[j] = result_at(base, merge, j, (float)(sum / divisor));
  }
  for (uint32_t k = 0; k < groups; k++) {
    uint32_t w[4][4];
    _mm_storeu_si128((__m128i *)w[0], g[k].s0);
    _mm_storeu_si128((__m128i *)w[1], g[k].s1);
    _mm_storeu_si128((__m128i *)w[2], g[k].s2);
    _mm_storeu_si128((__m128i *)w[3], g[k].s3);
    for (uint32_t l = 0; l < 4 && 4 * k + l < count; l++) rngs[4 * k + l] = (Xoshiro){w[0][l], w[1][l], w[2][l], w[3][l]};
  }
}
#define DARE_SMALL dare_sse2
#else
#define DARE_SMALL dare_body
#endif

static void dare(const float *const *in, uint32_t count, const float *base, int merge, Xoshiro *rngs,
                 uint64_t floor53, double rescale, double divisor, float *out, size_t size) {
#define DARE(c, b, m)                                                                             \
  if ((c) <= SMALL)                                                                               \
    DARE_SMALL(in, c, b, m, rngs, floor53, rescale, divisor, out, size);                          \
  else                                                                                            \
    dare_body(in, c, b, m, rngs, floor53, rescale, divisor, out, size)
  AGG_DISPATCH(DARE)
#undef DARE
}

/* dareChunk(inputs: Float32Array[], states: Uint32Array(4n), p, rescale, divisor, base: Float32Array | null,
 * merge: boolean, out: Float32Array) */
napi_value dare_chunk(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 8;
  napi_value argv[8];
  uint32_t *states;
  float *out;
  const float *base;
  size_t nstates, size;
  double p, rescale, divisor;
  bool merge = false;
  uint32_t count;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 8)
    return fail(env, 0, "dareChunk takes 8 arguments");
  if (!typed(env, argv[1], napi_uint32_array, (void **)&states, &nstates) || !number(env, argv[2], &p) ||
      !number(env, argv[3], &rescale) || !number(env, argv[4], &divisor) ||
      napi_get_value_bool(env, argv[6], &merge) != napi_ok ||
      !typed(env, argv[7], napi_float32_array, (void **)&out, &size))
    return fail(env, 0, "dareChunk(inputs: Float32Array[], states: Uint32Array, p, rescale, divisor, base, merge, "
                        "out: Float32Array)");
  if (!(p >= 0 && p < 1)) return fail(env, 1, "dareChunk: p must be in [0, 1) (got %g)", p);
  if (!optional_base(env, argv[5], "dareChunk", size, &base)) return NULL;
  if (merge && base == NULL) return fail(env, 1, "dareChunk: merge needs the base");
  const float **in = delta_list(env, argv[0], "dareChunk", &count, size);
  if (in == NULL) return NULL;
  if (nstates != 4 * (size_t)count) {
    free(in);
    return fail(env, 1, "dareChunk: states must hold 4 words per delta (%u deltas, %zu words)", count, nstates);
  }
  Xoshiro *rngs = (Xoshiro *)malloc(count * sizeof(Xoshiro));
  if (rngs == NULL) {
    free(in);
    return fail(env, 1, "dareChunk: out of memory");
  }
  for (uint32_t i = 0; i < count; i++)
    rngs[i] = (Xoshiro){states[4 * i], states[4 * i + 1], states[4 * i + 2], states[4 * i + 3]};
  dare(in, count, base, merge, rngs, (uint64_t)ceil(p * 9007199254740992.0), rescale, divisor, out, size);
  for (uint32_t i = 0; i < count; i++) {
    states[4 * i] = rngs[i].s0;
    states[4 * i + 1] = rngs[i].s1;
    states[4 * i + 2] = rngs[i].s2;
    states[4 * i + 3] = rngs[i].s3;
  }
  free(rngs);
  free(in);
  return NULL;
}

/*
 * TIES merging's hot loops (src-main/weights/aggregate-ties.ts, ties-stream.ts) over float32 deltas,
 * with results bit for bit the JS functions':
 *
 * tiesTrim(delta, keep, out): a delta's trim rule — the exact keep-th largest |v| among its finite
 *   entries (a radix select on the bits of |v|: for float32 ≥ 0 the order of the bit patterns is the
 *   order of the values; a histogram of the high 15 bits finds the bucket of the rank, one of the low
 *   16 bits within it the value) and how many entries equal to it may still be kept (ties are kept
 *   in index order). out = [threshold, tieBudget]; threshold −1 keeps every entry (keep ≥ finite).
 * tiesMerge(deltas, thresholds, ties, lambda, out): the elected-sign disjoint mean of one run of
 *   elements. Per element j: each delta's entry is kept if |v| > threshold, or |v| = threshold while
 *   its tie budget lasts (ties[i], decremented); mass = Σ kept v in float64, in delta order; out[j] =
 *   λ · (Σ of the kept v whose sign is mass's) / (their count), rounded to float32 once, 0 when none.
 *   The deltas are not written.
 * combine2(cx, x, cy, y, out): out[j] = cx·x[j] + cy·y[j] in float64, rounded to float32 once (the
 *   two-term case of combineArrays in src-main/weights/arithmetic.ts: a delta θ − θ_base, a merge
 *   θ_base + m); out may be x or y.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dtype_decode.h"
#include "ties.h"

#if defined(__GNUC__)
#define TIES_INLINE inline __attribute__((always_inline))
#else
#define TIES_INLINE inline
#endif
#define NAPI_ARGS_CODE "DELTASCOPE_TIES"
#include "napi_args.h"

/* An AVX2 build of the merge, chosen at run time. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(_WIN32)
#define HAVE_AVX2_MERGE 1
#include <immintrin.h>
#else
#define HAVE_AVX2_MERGE 0
#endif

#define ABS_MASK 0x7fffffffu
#define INFINITY_BITS 0x7f800000u
#define HIGH_BUCKETS (1u << 15)
#define LOW_BUCKETS (1u << 16)

/*
 * The radix select's two counting passes over float32 bits, written once for both callers: trim (a
 * tensor held whole: uint64 counts) and tiesHistogram (a streamed tensor's chunks, added into the JS
 * side's float64 counts). `bump` adds to one bucket of either kind; it is a constant where these are
 * inlined, so each caller gets its own loop with a plain increment.
 */
typedef void (*BumpFn)(void *counts, uint32_t bucket, uint64_t by);

static inline void bump_u64(void *counts, uint32_t bucket, uint64_t by) { ((uint64_t *)counts)[bucket] += by; }
static inline void bump_f64(void *counts, uint32_t bucket, uint64_t by) { ((double *)counts)[bucket] += (double)by; }

/* |v|'s high 15 bits of the finite entries into `high`; returns their count, the infinities into
 * *infinite. Zeros (most of a sparse delta) are counted apart and added to bucket 0 at the end: a run
 * of increments of one bucket would be a chain of dependent loads and stores. */
static TIES_INLINE uint64_t count_high(const uint32_t *bits, size_t n, void *high,
                                                                 BumpFn bump, uint64_t *zeros_out,
                                                                 uint64_t *infinite_out) {
  /* (the non-finite are counted in their rare branch, not the finite in the hot one) */
  uint64_t nonfinite = 0, infinite = 0, zeros = 0;
  for (size_t j = 0; j < n; j++) {
    const uint32_t a = bits[j] & ABS_MASK;
    if (a == 0) {
      zeros++;
      continue;
    }
    if (a >= INFINITY_BITS) {
      infinite += a == INFINITY_BITS;
      nonfinite++;
      continue;
    }
    bump(high, a >> 16, 1);
  }
  bump(high, 0, zeros);
  *zeros_out = zeros;
  *infinite_out = infinite;
  return (uint64_t)n - nonfinite;
}

/* The low 16 bits of the |v| whose high 15 bits are h into `low` (zeros, when h is 0, apart as above). */
static TIES_INLINE void count_low(const uint32_t *bits, size_t n, uint32_t h, void *low,
                                                           BumpFn bump) {
  uint64_t zeros = 0;
  for (size_t j = 0; j < n; j++) {
    const uint32_t a = bits[j] & ABS_MASK;
    if (a >> 16 != h) continue;
    if (a == 0)
      zeros++;
    else
      bump(low, a & 0xffffu, 1);
  }
  bump(low, 0, zeros);
}

/* The trim rule of `n` float32s (as bits); 0 when the histograms cannot be allocated. */
static int trim(const uint32_t *bits, size_t n, double keep, double *threshold, double *tie_budget) {
  uint64_t *high = (uint64_t *)calloc(HIGH_BUCKETS, sizeof(uint64_t));
  if (high == NULL) return 0;
  uint64_t zeros, infinite;
  const uint64_t finite = count_high(bits, n, high, bump_u64, &zeros, &infinite);
  if (keep >= (double)finite) {
    free(high);
    *threshold = -1;
    *tie_budget = 0;
    return 1;
  }
  const uint64_t rank = finite - (uint64_t)keep + 1; /* 1-based, from the smallest */
  uint32_t h = 0;
  uint64_t below = 0;
  while (below + high[h] < rank) below += high[h++];
  free(high);
  if (rank <= zeros) {
    /* the rank falls among the zeros (a sparse delta): the threshold is 0, with no second pass */
    *threshold = 0;
    *tie_budget = keep - (double)(finite - zeros + infinite);
    return 1;
  }
  uint64_t *low = (uint64_t *)calloc(LOW_BUCKETS, sizeof(uint64_t));
  if (low == NULL) return 0;
  count_low(bits, n, h, low, bump_u64);
  uint32_t l = 0;
  while (below + low[l] < rank) below += low[l++];
  /* kept outright: finite entries above the threshold and the infinities */
  const uint64_t above = finite - below - low[l] + infinite;
  free(low);
  *threshold = (double)dd_bits_float((h << 16) | l);
  *tie_budget = keep - (double)above;
  return 1;
}

/* tiesTrim(delta: Float32Array, keep: number, out: Float64Array(2)) */
napi_value ties_trim(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t *bits;
  double *out;
  size_t n, nout;
  double keep;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 3)
    return fail(env, 0, "tiesTrim takes 3 arguments");
  if (!typed(env, argv[0], napi_float32_array, (void **)&bits, &n) ||
      !typed(env, argv[2], napi_float64_array, (void **)&out, &nout) || !number(env, argv[1], &keep))
    return fail(env, 0, "tiesTrim(delta: Float32Array, keep: number, out: Float64Array)");
  if (nout < 2) return fail(env, 1, "tiesTrim: out must hold 2 numbers");
  if (!(keep >= 0) || keep != floor(keep) || keep > 9007199254740991.0)
    return fail(env, 1, "tiesTrim: keep must be a whole number ≥ 0 (got %g)", keep);
  if (!trim(bits, n, keep, &out[0], &out[1])) return fail(env, 1, "tiesTrim: out of memory");
  return NULL;
}

/*
 * The merge loop, without data-dependent branches (whether an entry is kept, and whether it agrees
 * with the elected sign, are near coin flips on real deltas): a dropped entry weighs +0, which adds
 * nothing to the mass (its sign is all that is read) nor to the agreeing sum (never −0: it starts at
 * +0 and a sum of non-zero values that cancels is +0).
 */
static inline double masked(double v, uint64_t mask) {
  uint64_t u;
  memcpy(&u, &v, 8);
  u &= mask;
  memcpy(&v, &u, 8);
  return v;
}

#define SMALL 8

/* The loop for `count` deltas (a constant where inlined: the per-delta state then lives in registers). */
static TIES_INLINE void merge_body(const float *const *deltas, uint32_t count,
                                                            const double *thresholds, double *ties,
                                                            double lambda, float *out, size_t size,
                                                            double *kept) {
  double thr[SMALL] = {0};
  int64_t left[SMALL] = {0};
  const int small = count <= SMALL;
  if (small)
    for (uint32_t i = 0; i < count; i++) {
      thr[i] = thresholds[i];
      left[i] = (int64_t)ties[i];
    }
  for (size_t j = 0; j < size; j++) {
    double mass = 0;
    for (uint32_t i = 0; i < count; i++) {
      const double v = (double)deltas[i][j];
      const double a = fabs(v);
      const double t = small ? thr[i] : thresholds[i];
      /* comparisons as 0/1 integers combined with & and |: no branch */
      const int over = a > t;
      int tie;
      if (small) {
        tie = (a == t) & (left[i] > 0);
        left[i] -= tie;
      } else {
        tie = (a == t) & (ties[i] > 0);
        ties[i] -= (double)tie;
      }
      const double k = masked(v, (uint64_t)0 - (uint64_t)(over | tie));
      kept[i] = k;
      mass += k;
    }
    const int positive = mass > 0, negative = mass < 0;
    double sum = 0;
    uint32_t agreeing = 0;
    for (uint32_t i = 0; i < count; i++) {
      const double v = kept[i];
      const int agrees = ((v > 0) & positive) | ((v < 0) & negative);
      sum += masked(v, (uint64_t)0 - (uint64_t)agrees);
      agreeing += (uint32_t)agrees;
    }
    const float mean = (float)((lambda * sum) / (double)(agreeing + (agreeing == 0)));
    uint32_t bits;
    memcpy(&bits, &mean, 4);
    bits &= (uint32_t)0 - (uint32_t)(agreeing != 0);
    memcpy(&out[j], &bits, 4);
  }
  if (small)
    for (uint32_t i = 0; i < count; i++) ties[i] = (double)left[i];
}

#if HAVE_AVX2_MERGE
/*
 * merge_body for up to SMALL deltas, four elements at a time (element j + k in vector lane k): each
 * lane sees the scalar loop's operations in the same order (mass and the agreeing sum added delta by
 * delta, λ·sum then the division, one rounding to float32), so the values are the same bit for bit.
 * Ties at a threshold are kept in element order: lane by lane, while the delta's budget lasts. Returns
 * the elements done (a multiple of four); the caller finishes the rest.
 */
__attribute__((target("avx2"))) static size_t merge_avx2(const float *const *deltas, uint32_t count,
                                                         const double *thresholds, double *ties,
                                                         double lambda, float *out, size_t size) {
  __m256d thr[SMALL];
  int64_t left[SMALL] = {0};
  for (uint32_t i = 0; i < count; i++) {
    thr[i] = _mm256_set1_pd(thresholds[i]);
    left[i] = (int64_t)ties[i];
  }
  const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0), vlambda = _mm256_set1_pd(lambda);
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(INT64_MAX));
  size_t j = 0;
  for (; j + 4 <= size; j += 4) {
    __m256d kept[SMALL];
    __m256d mass = zero;
    for (uint32_t i = 0; i < count; i++) {
      const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(deltas[i] + j));
      const __m256d a = _mm256_and_pd(v, abs_mask);
      __m256d keep = _mm256_cmp_pd(a, thr[i], _CMP_GT_OQ);
      if (left[i] > 0) {
        unsigned eq = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(a, thr[i], _CMP_EQ_OQ));
        unsigned tie = 0;
        for (; eq != 0 && left[i] > 0; eq &= eq - 1, left[i]--) tie |= eq & (0u - eq);
        if (tie != 0) {
          const __m256i bitsel = _mm256_setr_epi64x(1, 2, 4, 8);
          const __m256i lanes = _mm256_and_si256(_mm256_set1_epi64x((int64_t)tie), bitsel);
          keep = _mm256_or_pd(keep, _mm256_castsi256_pd(_mm256_cmpeq_epi64(lanes, bitsel)));
        }
      }
      kept[i] = _mm256_and_pd(v, keep);
      mass = _mm256_add_pd(mass, kept[i]);
    }
    const __m256d positive = _mm256_cmp_pd(mass, zero, _CMP_GT_OQ);
    const __m256d negative = _mm256_cmp_pd(mass, zero, _CMP_LT_OQ);
    __m256d sum = zero, agreeing = zero;
    for (uint32_t i = 0; i < count; i++) {
      const __m256d agrees =
          _mm256_or_pd(_mm256_and_pd(_mm256_cmp_pd(kept[i], zero, _CMP_GT_OQ), positive),
                       _mm256_and_pd(_mm256_cmp_pd(kept[i], zero, _CMP_LT_OQ), negative));
      sum = _mm256_add_pd(sum, _mm256_and_pd(kept[i], agrees));
      agreeing = _mm256_add_pd(agreeing, _mm256_and_pd(one, agrees));
    }
    const __m256d none = _mm256_cmp_pd(agreeing, zero, _CMP_EQ_OQ);
    const __m256d mean = _mm256_div_pd(_mm256_mul_pd(vlambda, sum), _mm256_blendv_pd(agreeing, one, none));
    const __m128 rounded = _mm256_cvtpd_ps(mean);
    /* 0 where no delta agrees: the 64-bit mask narrowed to 32-bit lanes */
    const __m128 narrow = _mm256_castps256_ps128(_mm256_permutevar8x32_ps(
        _mm256_castpd_ps(none), _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
    _mm_storeu_ps(out + j, _mm_andnot_ps(narrow, rounded));
  }
  for (uint32_t i = 0; i < count; i++) ties[i] = (double)left[i];
  return j;
}

static int use_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && getenv("DELTASCOPE_DELTA_BASELINE") == NULL;
}
#endif

static void merge(const float *const *deltas, uint32_t count, const double *thresholds, double *ties,
                  double lambda, float *out, size_t size, double *kept) {
#if HAVE_AVX2_MERGE
  if (count <= SMALL && use_avx2()) {
    const size_t done = merge_avx2(deltas, count, thresholds, ties, lambda, out, size);
    if (done == size) return;
    const float *rest[SMALL];
    for (uint32_t i = 0; i < count; i++) rest[i] = deltas[i] + done;
    merge_body(rest, count, thresholds, ties, lambda, out + done, size - done, kept);
    return;
  }
#endif
  switch (count) {
#define MERGE_CASE(c)                                                                             \
  case c:                                                                                         \
    merge_body(deltas, c, thresholds, ties, lambda, out, size, kept);                             \
    return;
    MERGE_CASE(1)
    MERGE_CASE(2)
    MERGE_CASE(3)
    MERGE_CASE(4)
    MERGE_CASE(5)
    MERGE_CASE(6)
    MERGE_CASE(7)
    MERGE_CASE(8)
#undef MERGE_CASE
  default:
    merge_body(deltas, count, thresholds, ties, lambda, out, size, kept);
  }
}

#define MAX_DELTAS 4096

/* tiesMerge(deltas: Float32Array[], thresholds: Float64Array, ties: Float64Array, lambda, out) */
napi_value ties_merge(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 5;
  napi_value argv[5];
  double *thresholds, *ties, lambda;
  float *out;
  size_t nt, nties, size;
  uint32_t count;
  bool is_array = false;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return fail(env, 0, "tiesMerge takes 5 arguments");
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &count) != napi_ok)
    return fail(env, 0, "tiesMerge: deltas must be an array of Float32Arrays");
  if (!typed(env, argv[1], napi_float64_array, (void **)&thresholds, &nt) ||
      !typed(env, argv[2], napi_float64_array, (void **)&ties, &nties) || !number(env, argv[3], &lambda) ||
      !typed(env, argv[4], napi_float32_array, (void **)&out, &size))
    return fail(env, 0, "tiesMerge(deltas, thresholds: Float64Array, ties: Float64Array, lambda, out: Float32Array)");
  if (count == 0 || count > MAX_DELTAS) return fail(env, 1, "tiesMerge: 1 to %d deltas (got %u)", MAX_DELTAS, count);
  if (nt < count || nties < count) return fail(env, 1, "tiesMerge: thresholds and ties need %u entries", count);
  const float **deltas = (const float **)malloc(count * sizeof(float *));
  double *kept = (double *)malloc(count * sizeof(double));
  if (deltas == NULL || kept == NULL) {
    free(deltas);
    free(kept);
    return fail(env, 1, "tiesMerge: out of memory");
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    size_t len;
    if (napi_get_element(env, argv[0], i, &element) != napi_ok ||
        !typed(env, element, napi_float32_array, (void **)&deltas[i], &len) || len != size) {
      free(deltas);
      free(kept);
      return fail(env, 1, "tiesMerge: deltas[%u] must be a Float32Array of %zu elements", i, size);
    }
  }
  merge(deltas, count, thresholds, ties, lambda, out, size, kept);
  free(deltas);
  free(kept);
  return NULL;
}

/* combine2(cx: number, x: Float32Array, cy: number, y: Float32Array, out: Float32Array) */
napi_value combine2(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 5;
  napi_value argv[5];
  double cx, cy;
  float *x, *y, *out;
  size_t nx, ny, n;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return fail(env, 0, "combine2 takes 5 arguments");
  if (!number(env, argv[0], &cx) || !typed(env, argv[1], napi_float32_array, (void **)&x, &nx) ||
      !number(env, argv[2], &cy) || !typed(env, argv[3], napi_float32_array, (void **)&y, &ny) ||
      !typed(env, argv[4], napi_float32_array, (void **)&out, &n))
    return fail(env, 0, "combine2(cx: number, x: Float32Array, cy: number, y: Float32Array, out: Float32Array)");
  if (nx != n || ny != n) return fail(env, 1, "combine2: x has %zu elements, y %zu, out %zu", nx, ny, n);
  for (size_t j = 0; j < n; j++) out[j] = (float)(cx * (double)x[j] + cy * (double)y[j]);
  return NULL;
}

/* tiesHistogram(chunk: Float32Array, high: Float64Array(2^15), counts: Float64Array(2), h: number,
 * low: Float64Array(2^16) | null): the streamed trim rule's passes over one chunk (ties-stream.ts).
 * With low null: |v|'s high 15 bits counted into `high`, and the finite and infinite entries into
 * counts[0] and counts[1]. With low: the low 16 bits of the |v| whose high bits are h. */
napi_value ties_histogram(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 5;
  napi_value argv[5];
  uint32_t *bits;
  double *high, *counts, *low = NULL, hv;
  size_t n, nhigh, ncounts, nlow = 0;
  napi_valuetype low_type;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      !typed(env, argv[0], napi_float32_array, (void **)&bits, &n) ||
      !typed(env, argv[1], napi_float64_array, (void **)&high, &nhigh) ||
      !typed(env, argv[2], napi_float64_array, (void **)&counts, &ncounts) || !number(env, argv[3], &hv) ||
      napi_typeof(env, argv[4], &low_type) != napi_ok ||
      (low_type != napi_null && !typed(env, argv[4], napi_float64_array, (void **)&low, &nlow)))
    return fail(env, 0, "tiesHistogram(chunk: Float32Array, high: Float64Array, counts: Float64Array, h, low | null)");
  if (nhigh < HIGH_BUCKETS || ncounts < 2 || (low != NULL && nlow < LOW_BUCKETS) || !(hv >= 0) ||
      hv >= HIGH_BUCKETS)
    return fail(env, 1, "tiesHistogram: high holds 2^15 counts, counts 2, low 2^16; 0 ≤ h < 2^15");
  if (low == NULL) {
    uint64_t zeros, infinite;
    counts[0] += (double)count_high(bits, n, high, bump_f64, &zeros, &infinite);
    counts[1] += (double)infinite;
  } else {
    count_low(bits, n, (uint32_t)hv, low, bump_f64);
  }
  return NULL;
}

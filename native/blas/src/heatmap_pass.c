/*
 * The heatmap's pass over a tensor (src-main/weights/native-heatmap.ts), over the raw little-endian
 * bytes of two chunks (Δ = B − A, each widened to float32 and subtracted in float32) or of one (a
 * side shown as itself), in their own dtype (F32, F16, BF16):
 *
 * heatmapPass adds every value to the |v| histogram of the colour scale (the top 16 bits of |v|'s
 * float32 pattern; zeros and non-finite values counted apart; the largest finite pattern kept) and
 * pools it into a level of factor F: each F×F block's element of largest |v| (ties → the larger v;
 * NaN ignored; a block of NaN only → 0). That is bit for bit what the JS kernel (addToAbsHistogram
 * and poolMatrix of heatmap-tiles.ts, in the same element order) gives. The rows are split among
 * threads, each with a histogram of its own, summed after: this pass is the cost of the first paint
 * of a large tensor's heatmap (4096 × 11008: 45M elements). It also collects the |v| of a window of
 * patterns (the histogram bin the first paint's percentile is predicted to fall in), so that the
 * exact percentile most often needs no second pass.
 *
 * absInRange collects the |v| whose float32 pattern lies in [low, high): the values of the one
 * histogram bin that holds a percentile, which is then selected exactly.
 */
/* pthreads (POSIX, not C11) */
#define _POSIX_C_SOURCE 200809L
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <pthread.h>
#endif
#include "dtype_decode.h"
#include "heatmap_pass.h"
#define NAPI_ARGS_CODE "DELTASCOPE_HEATMAP"
#include "napi_args.h"

#if defined(__GNUC__)
#define HM_INLINE inline __attribute__((always_inline))
#else
#define HM_INLINE inline
#endif

#define BINS 65536u
#define NON_FINITE 0x7f800000u
#define MAX_THREADS 16
/* "No A": the values are B's own. */
#define DT_NONE (-1)

typedef struct {
  uint32_t *counts;
  uint64_t zeros, non_finite;
  uint32_t max_bits;
} Hist;

/* The |v| of the elements whose pattern is in [low, low + width) go to out (up to capacity; found counts all). */
typedef struct {
  uint32_t low, width;
  float *out;
  size_t capacity, found;
} Window;

/* Element i as the pass sees it: b[i] − a[i] in float32, or b[i]. */
static HM_INLINE float value_at(const uint8_t *a, int da, const uint8_t *b, int db, size_t i) {
  float vb = dd_load(b, i, db);
  return da == DT_NONE ? vb : vb - dd_load(a, i, da);
}

/* One row's values into the histogram (and the window's values into it). */
static HM_INLINE void row_histogram(const float *vals, size_t cols, Hist *h, Window *w) {
  uint32_t *counts = h->counts;
  const uint32_t low = w->low, width = w->width;
  float *const out = w->out;
  const size_t capacity = w->capacity;
  size_t found = w->found;
  uint64_t zeros = 0, non_finite = 0;
  uint32_t max_bits = h->max_bits;
  for (size_t c = 0; c < cols; c++) {
    const uint32_t u = dd_float_bits(vals[c]) & 0x7fffffffu;
    if (u == 0)
      zeros++;
    else if (u >= NON_FINITE)
      non_finite++;
    else {
      counts[u >> 16]++;
      if (u > max_bits) max_bits = u;
    }
    if (u - low < width) {
      if (found < capacity) out[found] = dd_bits_float(u);
      found++;
    }
  }
  h->zeros += zeros;
  h->non_finite += non_finite;
  h->max_bits = max_bits;
  w->found = found;
}

/* v into a block's running best: the larger |v| wins, of equal |v| the larger v; NaN never wins. */
#define HM_POOL(v, bv, ba)                                                                        \
  do {                                                                                            \
    const float v_ = (v);                                                                         \
    const float av_ = dd_bits_float(dd_float_bits(v_) & 0x7fffffffu);                             \
    const int take_ = (av_ > (ba)) | ((av_ == (ba)) & (v_ > (bv)));                               \
    (ba) = take_ ? av_ : (ba);                                                                    \
    (bv) = take_ ? v_ : (bv);                                                                     \
  } while (0)

/* One row's values into the running best of each block of `factor` columns, each block taking its
 * elements in their order; the blocks are independent, so the loop over them vectorises (a
 * constant factor makes the stride known). */
static HM_INLINE void row_pool(const float *restrict vals, size_t cols, size_t factor, float *restrict best,
                               float *restrict best_abs) {
  const size_t full = cols / factor;
  for (size_t j = 0; j < factor; j++)
    for (size_t k = 0; k < full; k++) HM_POOL(vals[k * factor + j], best[k], best_abs[k]);
  for (size_t c = full * factor; c < cols; c++) HM_POOL(vals[c], best[full], best_abs[full]);
}

static void row_pool_any(const float *vals, size_t cols, size_t factor, float *best, float *best_abs) {
  switch (factor) {
  case 2: row_pool(vals, cols, 2, best, best_abs); return;
  case 4: row_pool(vals, cols, 4, best, best_abs); return;
  case 8: row_pool(vals, cols, 8, best, best_abs); return;
  case 16: row_pool(vals, cols, 16, best, best_abs); return;
  default: row_pool(vals, cols, factor, best, best_abs);
  }
}

/* One row (elements [off, off + cols)): decoded into vals, then histogrammed and pooled. */
static HM_INLINE void row_pass(const uint8_t *a, int da, const uint8_t *b, int db, size_t off, size_t cols,
                               size_t factor, float *best, float *best_abs, float *vals, Hist *h, Window *w) {
  for (size_t c = 0; c < cols; c++) vals[c] = value_at(a, da, b, db, off + c);
  row_histogram(vals, cols, h, w);
  row_pool_any(vals, cols, factor, best, best_abs);
}

/* Rows [r0, r1) (r0 a multiple of factor) into pooled rows [r0/F, ⌈r1/F⌉) of `pooled`. */
static HM_INLINE void rows_pass(const uint8_t *a, int da, const uint8_t *b, int db, size_t cols, size_t factor,
                                size_t r0, size_t r1, float *pooled, float *best_abs, float *vals, Hist *h, Window *w) {
  const size_t out_cols = (cols + factor - 1) / factor;
  for (size_t r = r0; r < r1; r++) {
    float *best = pooled + (r / factor) * out_cols;
    if (r % factor == 0) {
      for (size_t k = 0; k < out_cols; k++) {
        best[k] = 0.0f;
        best_abs[k] = -1.0f;
      }
    }
    row_pass(a, da, b, db, r * cols, cols, factor, best, best_abs, vals, h, w);
  }
}

/* rows_pass with the dtypes as constants, so that each pair gets its own loop. */
static void rows_dispatch(const uint8_t *a, int da, const uint8_t *b, int db, size_t cols, size_t factor,
                          size_t r0, size_t r1, float *pooled, float *best_abs, float *vals, Hist *h, Window *w) {
#define HM_CASE(A, B)                                                                            \
  if (da == (A) && db == (B)) {                                                                  \
    rows_pass(a, A, b, B, cols, factor, r0, r1, pooled, best_abs, vals, h, w);                   \
    return;                                                                                      \
  }
#define HM_ROW(A) HM_CASE(A, DD_F32) HM_CASE(A, DD_F16) HM_CASE(A, DD_BF16)
  HM_ROW(DT_NONE)
  HM_ROW(DD_F32)
  HM_ROW(DD_F16)
  HM_ROW(DD_BF16)
#undef HM_ROW
#undef HM_CASE
}

typedef struct {
  const uint8_t *a, *b;
  int da, db;
  size_t cols, factor, r0, r1;
  float *pooled;
  Hist h;
  Window w;
  int ok;
#ifndef _WIN32
  pthread_t thread;
#endif
} Part;

static void run_part(Part *p) {
  float *best_abs = (float *)malloc(((p->cols + p->factor - 1) / p->factor) * sizeof(float));
  float *vals = (float *)malloc(p->cols * sizeof(float));
  p->ok = best_abs != NULL && vals != NULL;
  if (p->ok)
    rows_dispatch(p->a, p->da, p->b, p->db, p->cols, p->factor, p->r0, p->r1, p->pooled, best_abs, vals, &p->h,
                  &p->w);
  free(best_abs);
  free(vals);
}

#ifndef _WIN32
static void *part_main(void *arg) {
  run_part((Part *)arg);
  return NULL;
}
#endif

/* ------------------------------------------------------------------------------- N-API */

/* A whole number in [lo, hi]. */
static int integer(napi_env env, napi_value v, double lo, double hi, double *out) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_number && napi_get_value_double(env, v, out) == napi_ok &&
         *out >= lo && *out <= hi && *out == (double)(int64_t)*out;
}

/* The chunks (a: Uint8Array, dtypeA, b: Uint8Array, dtypeB) of argv[0..3]: an empty a means "B alone".
 * Sets *n to B's element count. */
static int chunks(napi_env env, const char *name, napi_value *argv, const uint8_t **a, int *da, const uint8_t **b,
                  int *db, size_t *n) {
  size_t na, nb;
  double dta, dtb;
  if (!typed(env, argv[0], napi_uint8_array, (void **)a, &na) ||
      !typed(env, argv[2], napi_uint8_array, (void **)b, &nb))
    return fail(env, 0, "%s: a and b must be Uint8Arrays", name), 0;
  if (!integer(env, argv[1], 0, 2, &dta) || !integer(env, argv[3], 0, 2, &dtb))
    return fail(env, 1, "%s: a dtype code must be 0 (F32), 1 (F16) or 2 (BF16)", name), 0;
  *db = (int)dtb;
  if (nb % DD_BYTES[*db] != 0) return fail(env, 1, "%s: b's %zu bytes are not whole elements", name, nb), 0;
  *n = nb / DD_BYTES[*db];
  if (na == 0) {
    *da = DT_NONE;
    return 1;
  }
  *da = (int)dta;
  if (na % DD_BYTES[*da] != 0 || na / DD_BYTES[*da] != *n)
    return fail(env, 1, "%s: a has %zu bytes and b %zu: not the same number of elements", name, na, nb), 0;
  return 1;
}

/*
 * heatmapPass(a, dtypeA, b, dtypeB, cols, factor, pooled: Float32Array, counts: Uint32Array(65536),
 * stats: Float64Array(5), threads, window: Float64Array(2), collected: Float32Array): the chunk holds
 * whole rows of `cols` elements, its first row a multiple of `factor`; pooled receives its ⌈rows/F⌉ ×
 * ⌈cols/F⌉ pooled cells; counts and stats[0..2] ([zeros, nonFinite, maxBits]) are added to. The |v|
 * whose pattern is in [window[0], window[1]) are written to `collected` (each thread into its own
 * equal share, then packed, in element order): stats[3] = how many were written, stats[4] = 1 when
 * a share overflowed (some were not).
 */
napi_value heatmap_pass(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 12;
  napi_value argv[12];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 12)
    return fail(env, 0, "heatmapPass takes 12 arguments");
  const uint8_t *a, *b;
  int da, db;
  size_t n, npooled, ncounts, nstats, nwindow, ncollected;
  float *pooled, *collected;
  double *window;
  uint32_t *counts;
  double *stats, dcols, dfactor, dthreads;
  if (!chunks(env, "heatmapPass", argv, &a, &da, &b, &db, &n)) return NULL;
  if (!integer(env, argv[4], 1, 4294967296.0, &dcols) || !integer(env, argv[5], 1, 1073741824.0, &dfactor) ||
      !integer(env, argv[9], 1, MAX_THREADS, &dthreads))
    return fail(env, 1, "heatmapPass: cols, factor and threads (≤ %d) must be positive integers", MAX_THREADS);
  const size_t cols = (size_t)dcols, factor = (size_t)dfactor;
  if (!typed(env, argv[6], napi_float32_array, (void **)&pooled, &npooled) ||
      !typed(env, argv[7], napi_uint32_array, (void **)&counts, &ncounts) ||
      !typed(env, argv[8], napi_float64_array, (void **)&stats, &nstats))
    return fail(env, 0, "heatmapPass: pooled, counts and stats must be Float32, Uint32 and Float64 arrays");
  if (n % cols != 0) return fail(env, 1, "heatmapPass: %zu elements are not whole rows of %zu", n, cols);
  const size_t rows = n / cols;
  const size_t groups = (rows + factor - 1) / factor, out_cols = (cols + factor - 1) / factor;
  if (npooled != groups * out_cols)
    return fail(env, 1, "heatmapPass: pooled has %zu cells; %zu rows × %zu columns at factor %zu need %zu", npooled,
                rows, cols, factor, groups * out_cols);
  if (ncounts != BINS || nstats < 5)
    return fail(env, 1, "heatmapPass: counts must hold %u bins and stats 5 slots", BINS);
  if (!typed(env, argv[10], napi_float64_array, (void **)&window, &nwindow) || nwindow < 2 ||
      !typed(env, argv[11], napi_float32_array, (void **)&collected, &ncollected))
    return fail(env, 0, "heatmapPass: window must be a Float64Array [low, high) and collected a Float32Array");
  if (!(window[0] >= 0 && window[1] <= 4294967296.0))
    return fail(env, 1, "heatmapPass: the window must lie in [0, 2^32]");
  const uint32_t low = (uint32_t)window[0];
  const uint32_t width = window[1] > window[0] ? (uint32_t)(window[1] - window[0]) : 0;
  /* Whole row groups per thread; none smaller than ~256K elements (a thread costs tens of µs). */
  size_t parts = (size_t)dthreads;
  const size_t min_groups = 1 + (1u << 18) / (factor * cols);
  if (parts > groups / min_groups) parts = groups / min_groups > 0 ? groups / min_groups : 1;
  Part part[MAX_THREADS];
  memset(part, 0, sizeof part);
  int ok = 1;
  for (size_t k = 0; k < parts; k++) {
    Part *p = &part[k];
    p->a = a;
    p->b = b;
    p->da = da;
    p->db = db;
    p->cols = cols;
    p->factor = factor;
    p->r0 = (groups * k / parts) * factor;
    p->r1 = k + 1 == parts ? rows : (groups * (k + 1) / parts) * factor;
    p->pooled = pooled;
    p->w.low = low;
    p->w.width = width;
    p->w.capacity = ncollected / parts;
    p->w.out = collected + k * p->w.capacity;
    p->h.counts = k == 0 ? counts : (uint32_t *)calloc(BINS, sizeof(uint32_t));
    if (p->h.counts == NULL) ok = 0;
  }
  int threaded[MAX_THREADS] = {0};
#ifndef _WIN32
  for (size_t k = 1; k < parts && ok; k++) threaded[k] = pthread_create(&part[k].thread, NULL, part_main, &part[k]) == 0;
#endif
  for (size_t k = 0; k < parts && ok; k++)
    if (!threaded[k]) run_part(&part[k]);
#ifndef _WIN32
  for (size_t k = 1; k < parts; k++)
    if (threaded[k]) pthread_join(part[k].thread, NULL);
#endif
  uint32_t max_bits = (uint32_t)stats[2];
  for (size_t k = 0; k < parts; k++) {
    Part *p = &part[k];
    ok = ok && p->ok;
    if (p->h.counts != NULL && k > 0) {
      for (size_t i = 0; i < BINS; i++) counts[i] += p->h.counts[i];
      free(p->h.counts);
    }
    stats[0] += (double)p->h.zeros;
    stats[1] += (double)p->h.non_finite;
    if (p->h.max_bits > max_bits) max_bits = p->h.max_bits;
  }
  stats[2] = (double)max_bits;
  size_t written = 0, overflow = 0;
  for (size_t k = 0; k < parts; k++) {
    const size_t kept = part[k].w.found < part[k].w.capacity ? part[k].w.found : part[k].w.capacity;
    if (part[k].w.found > kept) overflow = 1;
    if (kept > 0 && part[k].w.out != collected + written)
      memmove(collected + written, part[k].w.out, kept * sizeof(float));
    written += kept;
  }
  stats[3] = (double)written;
  stats[4] = (double)overflow;
  if (!ok) return fail(env, 1, "heatmapPass: out of memory");
  return NULL;
}

/*
 * absInRange(a, dtypeA, b, dtypeB, low, high, out: Float32Array) → how many elements have a |v|
 * pattern in [low, high); the first out.length of their |v| are written to out, in element order.
 */
napi_value abs_in_range(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 7)
    return fail(env, 0, "absInRange takes 7 arguments");
  const uint8_t *a, *b;
  int da, db;
  size_t n, nout;
  float *out;
  double low, high;
  if (!chunks(env, "absInRange", argv, &a, &da, &b, &db, &n)) return NULL;
  if (!integer(env, argv[4], 0, 4294967296.0, &low) || !integer(env, argv[5], 0, 4294967296.0, &high))
    return fail(env, 1, "absInRange: low and high must be whole numbers in [0, 2^32]");
  if (!typed(env, argv[6], napi_float32_array, (void **)&out, &nout))
    return fail(env, 0, "absInRange: out must be a Float32Array");
  const uint64_t lo = (uint64_t)low, hi = (uint64_t)high;
  size_t found = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t u = dd_float_bits(value_at(a, da, b, db, i)) & 0x7fffffffu;
    if (u >= lo && u < hi) {
      if (found < nout) out[found] = dd_bits_float(u);
      found++;
    }
  }
  napi_value result;
  if (napi_create_double(env, (double)found, &result) != napi_ok) return fail(env, 0, "absInRange: N-API failed");
  return result;
}

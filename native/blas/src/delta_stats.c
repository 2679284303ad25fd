/*
 * deltaPass: the fused one-pass statistics of Δ = B − A of src-main/weights/delta-stats.ts, over the
 * raw little-endian bytes of two chunks in their own dtype (F32, F16 or BF16), so that a streamed
 * diff neither widens a chunk to float32 first nor runs the pass in JS.
 *
 * The result is bit for bit the JS pass's on the same chunk decoded to float32: every element is
 * widened to the same float32 value, and the same float64 operations run in the same order (element
 * i into lane i mod 8 of each sum, lanes folded as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));
 * gyp builds with -ffp-contract=off, so no fused multiply-add). The JS side
 * (src-main/weights/native-delta.ts) keeps the merge of the pass into the accumulator, and tests run
 * both paths on the same chunks, NaN, ±∞, subnormals and ±0 included, through each build of the pass
 * (baseline, AVX2, AVX-512; chosen at run time).
 *
 * deltaPassStart/deltaPassFinish run a pass on a thread of its own, so that a diff reads the next
 * chunks (and runs another pass) meanwhile; the caller merges the passes in order, which keeps the
 * result bit for bit the same.
 */
/* pthreads (POSIX, not C11) */
#define _POSIX_C_SOURCE 200809L
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#ifndef _WIN32
#include <pthread.h>
#endif
/* On every platform: job_result reads its outcome codes (only POSIX builds map files). */
#include "mapped_range.h"
#include "delta_stats.h"
#include "dtype_decode.h"
#define NAPI_ARGS_CODE "DELTASCOPE_DELTA"
#include "napi_args.h"

/* Vector builds of the pass, chosen at run time (dispatch): AVX2 and AVX-512. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(_WIN32)
#define HAVE_VECTOR_PASS 1
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,popcnt")))
#define AVX512 __attribute__((target("avx2,popcnt,avx512f,avx512vl,avx512bw,avx512dq")))
#else
#define HAVE_VECTOR_PASS 0
#endif

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* Slots of `sums`, as in delta-stats.ts (S1…NON_FINITE), plus the pass's shift. */
enum { S1, S2, SD2, SA2, SB2, SAB, MAX_ABS, ABOVE, FLIPS, NON_FINITE, SHIFT, SLOTS };

/* Element i of a raw chunk, widened to float64 through its float32 value. */
static ALWAYS_INLINE double load(const uint8_t *p, size_t i, int dt) { return (double)dd_load(p, i, dt); }

/* ⌊x⌋ for |x| < 2^62: one rounding instruction where the pass is compiled for AVX2 (`fast`), else
 * without libm (floor is a call on a baseline x86-64 build). Both are exact. */
static ALWAYS_INLINE int64_t floor_i64(double x, int fast) {
  if (fast) return (int64_t)__builtin_floor(x);
  int64_t k = (int64_t)x;
  return k - (x < (double)k);
}

/* Lanes of the six float64 sums (LANES in delta-stats.ts): element i of a pass adds into lane
 * i mod LANES, and a pass's sum is ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)). Eight: one
 * AVX-512 vector, or two AVX2 ones. */
#define LANES 8
#define LANE_SUMS 6

/* Interleaved copies of each fine bin's count: a run of Δ in one bin then increments COPIES counters
 * in turn instead of one, whose load-add-store chain bounded the loop. Counts are integers, so when
 * they reach `fine` (float64) is of no consequence. */
#define COPIES 4

/* The vector kernels queue the fine bin of each non-zero Δ (a compress of the group's bins) and count
 * a full queue in one loop; a Δ of ±0 always falls in the centre bin, so zeros are only counted
 * (a sparse update, whose Δ are mostly exact zeros, then costs no scatter for them). */
#define QUEUE 2048

typedef struct {
  double s[SLOTS];
  double lane[LANE_SUMS][LANES];
  double *fine;
  size_t size; /* fine bins, a power of two */
  double range;
  uint32_t *counts; /* size × COPIES counts not yet added into fine */
  uint32_t *queue;  /* QUEUE + LANES fine bins of non-zero Δ not yet counted */
  size_t queued;
  uint64_t zeros; /* Δ = ±0 from the vector kernels, not yet added into the centre bin */
  double *deltas;  /* AVX-512, sparse blocks: QUEUE + LANES non-zero Δ not yet binned */
  size_t ndeltas;
  double eps;
  int sparse; /* AVX-512: the next block queues its non-zero Δ (else their bins) */
  void *scratch; /* the allocation holding counts, queue and deltas */
} Pass;

static void bin_deltas(Pass *p);

/* Counts the queued bins into `counts`. */
static void count_queue(Pass *p) {
  uint32_t *counts = p->counts;
  const uint32_t *q = p->queue;
  const size_t n = p->queued;
  size_t j = 0;
  for (; j + COPIES <= n; j += COPIES)
    for (int k = 0; k < COPIES; k++) counts[(size_t)q[j + (size_t)k] * COPIES + (size_t)k] += 1;
  for (; j < n; j++) counts[(size_t)q[j] * COPIES] += 1;
  p->queued = 0;
}

/*
 * deltaKernel of delta-stats.ts: whole groups of LANES elements from i (a multiple of LANES), each
 * element into its lane; stops at the first group holding a |d| that is not below the range (a new
 * maximum, or non-finite), or with fewer than LANES elements left, and returns that index. The two
 * counts are integers (their float64 sums in JS are exact integers too).
 */
static ALWAYS_INLINE size_t kernel(const uint8_t *a, int da, const uint8_t *b, int db, size_t i,
                                   size_t n, double eps, Pass *p, int fast) {
  const double range = p->range;
  const double scale = (double)p->size / (2 * range);
  const int64_t half = (int64_t)(p->size / 2);
  const double shift = p->s[SHIFT];
  uint32_t *counts = p->counts;
  double s1[LANES], s2[LANES], sd2[LANES], sa2[LANES], sb2[LANES], sab[LANES], mx[LANES];
  int64_t above[LANES], flips[LANES];
  for (int k = 0; k < LANES; k++) {
    s1[k] = p->lane[S1][k];
    s2[k] = p->lane[S2][k];
    sd2[k] = p->lane[SD2][k];
    sa2[k] = p->lane[SA2][k];
    sb2[k] = p->lane[SB2][k];
    sab[k] = p->lane[SAB][k];
    mx[k] = p->s[MAX_ABS];
    above[k] = flips[k] = 0;
  }
  for (; i + LANES <= n; i += LANES) {
    double av[LANES], bv[LANES], d[LANES], ad[LANES];
    int inside = 1;
    for (int k = 0; k < LANES; k++) {
      av[k] = load(a, i + k, da);
      bv[k] = load(b, i + k, db);
      d[k] = bv[k] - av[k];
      ad[k] = fabs(d[k]);
      inside &= ad[k] < range;
    }
    if (!inside) break;
    for (int k = 0; k < LANES; k++) {
      const double t = d[k] - shift;
      const double ab = av[k] * bv[k];
      s1[k] += t;
      s2[k] += t * t;
      sd2[k] += d[k] * d[k];
      sa2[k] += av[k] * av[k];
      sb2[k] += bv[k] * bv[k];
      sab[k] += ab;
      mx[k] = ad[k] > mx[k] ? ad[k] : mx[k];
      above[k] += ad[k] > eps;
      flips[k] += ab < 0;
    }
    for (int k = 0; k < LANES; k++)
      counts[(size_t)(floor_i64(d[k] * scale, fast) + half) * COPIES + (size_t)(k % COPIES)] += 1;
  }
  double max_abs = p->s[MAX_ABS];
  int64_t n_above = 0, n_flips = 0;
  for (int k = 0; k < LANES; k++) {
    p->lane[S1][k] = s1[k];
    p->lane[S2][k] = s2[k];
    p->lane[SD2][k] = sd2[k];
    p->lane[SA2][k] = sa2[k];
    p->lane[SB2][k] = sb2[k];
    p->lane[SAB][k] = sab[k];
    max_abs = mx[k] > max_abs ? mx[k] : max_abs;
    n_above += above[k];
    n_flips += flips[k];
  }
  p->s[MAX_ABS] = max_abs;
  p->s[ABOVE] += (double)n_above;
  p->s[FLIPS] += (double)n_flips;
  return i;
}

#if HAVE_VECTOR_PASS
/* COMPRESS[m]: the positions of the set bits of m in order (then zeros): the vpermd control that packs
 * the bins of a group's non-zero Δ to the front (AVX2 has no compress instruction). Filled once. */
static uint8_t COMPRESS[256][8];
static pthread_once_t compress_once = PTHREAD_ONCE_INIT;
static void fill_compress(void) {
  for (int m = 0; m < 256; m++)
    for (int k = 0, j = 0; k < 8; k++)
      if (m >> k & 1) COMPRESS[m][j++] = (uint8_t)k;
}

/* Four elements of a raw chunk from i, widened to float64 through their float32 values. */
AVX2 static inline __m256d load4(const uint8_t *p, size_t i, int dt) {
  if (dt == DD_F32) return _mm256_cvtps_pd(_mm_loadu_ps((const float *)(const void *)(p + 4 * i)));
  if (dt == DD_BF16) {
    /* each 16-bit pattern into the high half of a 32-bit lane (one shuffle) */
    const __m128i h = _mm_loadl_epi64((const __m128i *)(const void *)(p + 2 * i));
    return _mm256_cvtps_pd(_mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), h)));
  }
  float f[4];
  for (int k = 0; k < 4; k++) f[k] = (float)load(p, i + (size_t)k, dt);
  return _mm256_cvtps_pd(_mm_loadu_ps(f));
}

/* Eight elements from i as float64, the AVX-512 way. */
AVX512 static inline __m512d load8(const uint8_t *p, size_t i, int dt) {
  if (dt == DD_F32) return _mm512_cvtps_pd(_mm256_loadu_ps((const float *)(const void *)(p + 4 * i)));
  if (dt == DD_BF16) {
    /* each 16-bit pattern into the high half of a 32-bit lane: the 16 bytes into both halves of a
     * vector (a load only), then one byte shuffle within each half */
    const __m256i x = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(p + 2 * i)));
    const __m256i high = _mm256_setr_epi8(-128, -128, 0, 1, -128, -128, 2, 3, -128, -128, 4, 5, -128, -128, 6, 7,
                                          -128, -128, 8, 9, -128, -128, 10, 11, -128, -128, 12, 13, -128, -128, 14, 15);
    return _mm512_cvtps_pd(_mm256_castsi256_ps(_mm256_shuffle_epi8(x, high)));
  }
  float f[8];
  for (int k = 0; k < 8; k++) f[k] = (float)load(p, i + (size_t)k, dt);
  return _mm512_cvtps_pd(_mm256_loadu_ps(f));
}

/* The kernels' running figures outside the lane sums, written back by kernel_end. */
typedef struct {
  uint64_t above, flips, nonzero;
  size_t queued;
} Tally;

/* Ends a vector kernel: the maximum of its lanes, the counts, the zeros of the groups done since i0. */
static ALWAYS_INLINE void kernel_end(Pass *p, const double *mx, int lanes, const Tally *t, size_t i0,
                                     size_t i) {
  for (int k = 0; k < lanes; k++) p->s[MAX_ABS] = mx[k] > p->s[MAX_ABS] ? mx[k] : p->s[MAX_ABS];
  p->s[ABOVE] += (double)t->above;
  p->s[FLIPS] += (double)t->flips;
  p->zeros += (uint64_t)(i - i0) - t->nonzero;
  p->queued = t->queued;
}

/* Queues the bins of a group's non-zero Δ (`nz`, one bit per element) from `packed`; counts a full queue. */
static ALWAYS_INLINE void queue_bins(Pass *p, Tally *t, unsigned nz) {
  const unsigned k = (unsigned)__builtin_popcount(nz);
  t->queued += k;
  t->nonzero += k;
  if (t->queued > QUEUE) {
    p->queued = t->queued;
    count_queue(p);
    t->queued = 0;
  }
}

/*
 * kernel() with a group of eight in two AVX2 vectors (lanes 0–3 and 4–7): lane k is element k of a
 * vector, so every lane sees the same operations in the same order as in kernel(). `zero_shift`: the
 * pass's shift is ±0, so t = Δ − shift is Δ up to the sign of a zero (which no lane sum can see: each
 * starts at +0), Σt² is Σd² term for term, and one chain computes both.
 */
AVX2 static ALWAYS_INLINE size_t kernel_avx2(const uint8_t *a, int da, const uint8_t *b, int db, size_t i,
                                             size_t n, double eps, Pass *p, const int zero_shift) {
  const __m256d range = _mm256_set1_pd(p->range);
  const __m256d scale = _mm256_set1_pd((double)p->size / (2 * p->range));
  const __m256i vhalf = _mm256_set1_epi32((int32_t)(p->size / 2));
  const __m256d shift = _mm256_set1_pd(p->s[SHIFT]);
  const __m256d veps = _mm256_set1_pd(eps);
  const __m256d zero = _mm256_setzero_pd();
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(INT64_MAX));
  __m256d s1[2], s2[2], sd2[2], sa2[2], sb2[2], sab[2], mx[2];
  for (int h = 0; h < 2; h++) {
    s1[h] = _mm256_loadu_pd(p->lane[S1] + 4 * h);
    s2[h] = _mm256_loadu_pd(p->lane[S2] + 4 * h);
    sd2[h] = _mm256_loadu_pd(p->lane[SD2] + 4 * h);
    sa2[h] = _mm256_loadu_pd(p->lane[SA2] + 4 * h);
    sb2[h] = _mm256_loadu_pd(p->lane[SB2] + 4 * h);
    sab[h] = _mm256_loadu_pd(p->lane[SAB] + 4 * h);
    mx[h] = _mm256_set1_pd(p->s[MAX_ABS]);
  }
  Tally t = {0, 0, 0, p->queued};
  const size_t i0 = i;
  for (; i + LANES <= n; i += LANES) {
    __m256d av[2], bv[2], d[2], ad[2], ab[2];
    __m128i bin[2];
    unsigned inside = 15, over = 0, flip = 0, nz = 0;
    for (int h = 0; h < 2; h++) {
      av[h] = load4(a, i + 4 * (size_t)h, da);
      bv[h] = load4(b, i + 4 * (size_t)h, db);
      d[h] = _mm256_sub_pd(bv[h], av[h]);
      ad[h] = _mm256_and_pd(d[h], abs_mask);
      inside &= (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(ad[h], range, _CMP_LT_OQ));
    }
    if (inside != 15) break;
    for (int h = 0; h < 2; h++) {
      const __m256d th = zero_shift ? d[h] : _mm256_sub_pd(d[h], shift);
      ab[h] = _mm256_mul_pd(av[h], bv[h]);
      s1[h] = _mm256_add_pd(s1[h], th);
      s2[h] = _mm256_add_pd(s2[h], _mm256_mul_pd(th, th));
      if (!zero_shift) sd2[h] = _mm256_add_pd(sd2[h], _mm256_mul_pd(d[h], d[h]));
      sa2[h] = _mm256_add_pd(sa2[h], _mm256_mul_pd(av[h], av[h]));
      sb2[h] = _mm256_add_pd(sb2[h], _mm256_mul_pd(bv[h], bv[h]));
      sab[h] = _mm256_add_pd(sab[h], ab[h]);
      mx[h] = _mm256_max_pd(ad[h], mx[h]);
      over |= (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(ad[h], veps, _CMP_GT_OQ)) << (4 * h);
      flip |= (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(ab[h], zero, _CMP_LT_OQ)) << (4 * h);
      nz |= (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(d[h], zero, _CMP_NEQ_OQ)) << (4 * h);
      bin[h] = _mm256_cvttpd_epi32(_mm256_floor_pd(_mm256_mul_pd(d[h], scale)));
    }
    t.above += (uint64_t)__builtin_popcount(over);
    t.flips += (uint64_t)__builtin_popcount(flip);
    /* the bins (⌊d · scale⌋ + half) of the non-zero Δ, packed to the front and queued */
    const __m256i bins = _mm256_add_epi32(_mm256_set_m128i(bin[1], bin[0]), vhalf);
    const __m256i control = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)COMPRESS[nz]));
    _mm256_storeu_si256((__m256i *)(void *)(p->queue + t.queued), _mm256_permutevar8x32_epi32(bins, control));
    queue_bins(p, &t, nz);
  }
  double m[LANES];
  for (int h = 0; h < 2; h++) {
    _mm256_storeu_pd(p->lane[S1] + 4 * h, s1[h]);
    _mm256_storeu_pd(p->lane[S2] + 4 * h, s2[h]);
    _mm256_storeu_pd(p->lane[SD2] + 4 * h, zero_shift ? s2[h] : sd2[h]);
    _mm256_storeu_pd(p->lane[SA2] + 4 * h, sa2[h]);
    _mm256_storeu_pd(p->lane[SB2] + 4 * h, sb2[h]);
    _mm256_storeu_pd(p->lane[SAB] + 4 * h, sab[h]);
    _mm256_storeu_pd(m + 4 * h, mx[h]);
  }
  kernel_end(p, m, LANES, &t, i0, i);
  return i;
}

/* The six lane sums of kernel_avx512, one vector each. */
typedef struct {
  __m512d s1, s2, sd2, sa2, sb2, sab;
} Sums512;

/* A group of eight from i into the lane sums and the flips, its Δ into *d; 0 (nothing added) if a
 * |Δ| is not below the range. */
AVX512 static ALWAYS_INLINE int group512(const uint8_t *a, int da, const uint8_t *b, int db, size_t i,
                                         __m512d range, __m512d shift, const int zero_shift, Sums512 *s,
                                         __m512d *d, uint64_t *flips) {
  const __m512d av = load8(a, i, da), bv = load8(b, i, db);
  *d = _mm512_sub_pd(bv, av);
  if (_mm512_cmp_pd_mask(_mm512_abs_pd(*d), range, _CMP_LT_OQ) != 0xff) return 0;
  const __m512d th = zero_shift ? *d : _mm512_sub_pd(*d, shift);
  const __m512d ab = _mm512_mul_pd(av, bv);
  s->s1 = _mm512_add_pd(s->s1, th);
  s->s2 = _mm512_add_pd(s->s2, _mm512_mul_pd(th, th));
  if (!zero_shift) s->sd2 = _mm512_add_pd(s->sd2, _mm512_mul_pd(*d, *d));
  s->sa2 = _mm512_add_pd(s->sa2, _mm512_mul_pd(av, av));
  s->sb2 = _mm512_add_pd(s->sb2, _mm512_mul_pd(bv, bv));
  s->sab = _mm512_add_pd(s->sab, ab);
  *flips += (uint64_t)__builtin_popcount(_mm512_cmp_pd_mask(ab, _mm512_setzero_pd(), _CMP_LT_OQ));
  return 1;
}

/* Elements per block of kernel_avx512; each block picks how it bins from the one before. */
#define BLOCK 4096

/*
 * kernel_avx2 with the group of eight in one AVX-512 vector. Its histogram takes one of two paths
 * per block, by the share of non-zero Δ in the block before (both count the same integers):
 * dense, each group's bins (⌊d · scale⌋ in the conversion's own rounding) and |Δ| > ε counted in the
 * loop and the non-zero ones' bins queued; sparse (under a quarter non-zero: a sparse update), only
 * the non-zero Δ queued (one compress) and bin_deltas taking their bins, |Δ| > ε and the maximum.
 */
AVX512 static ALWAYS_INLINE size_t kernel_avx512(const uint8_t *a, int da, const uint8_t *b, int db,
                                                 size_t i, size_t n, double eps, Pass *p,
                                                 const int zero_shift) {
  const __m512d range = _mm512_set1_pd(p->range);
  const __m512d scale = _mm512_set1_pd((double)p->size / (2 * p->range));
  const __m256i vhalf = _mm256_set1_epi32((int32_t)(p->size / 2));
  const __m512d shift = _mm512_set1_pd(p->s[SHIFT]);
  const __m512d veps = _mm512_set1_pd(eps);
  const __m512d zero = _mm512_setzero_pd();
  Sums512 s = {_mm512_loadu_pd(p->lane[S1]),  _mm512_loadu_pd(p->lane[S2]),  _mm512_loadu_pd(p->lane[SD2]),
               _mm512_loadu_pd(p->lane[SA2]), _mm512_loadu_pd(p->lane[SB2]), _mm512_loadu_pd(p->lane[SAB])};
  __m512d mx = _mm512_set1_pd(p->s[MAX_ABS]);
  Tally t = {0, 0, 0, p->queued};
  const size_t i0 = i;
  size_t nd = p->ndeltas;
  int sparse = p->sparse;
  p->eps = eps;
  while (i + LANES <= n) {
    const size_t end = n - i > BLOCK ? i + BLOCK : n, start = i;
    const uint64_t before = t.nonzero;
    __m512d d;
    if (sparse) {
      for (; i + LANES <= end; i += LANES) {
        if (!group512(a, da, b, db, i, range, shift, zero_shift, &s, &d, &t.flips)) goto out;
        const __mmask8 nz = _mm512_cmp_pd_mask(d, zero, _CMP_NEQ_OQ);
        _mm512_storeu_pd(p->deltas + nd, _mm512_maskz_compress_pd(nz, d));
        const unsigned k = (unsigned)__builtin_popcount(nz);
        nd += k;
        t.nonzero += k;
        if (nd > QUEUE) {
          p->ndeltas = nd;
          bin_deltas(p);
          nd = 0;
        }
      }
    } else {
      for (; i + LANES <= end; i += LANES) {
        if (!group512(a, da, b, db, i, range, shift, zero_shift, &s, &d, &t.flips)) goto out;
        const __m512d ad = _mm512_abs_pd(d);
        mx = _mm512_max_pd(ad, mx);
        t.above += (uint64_t)__builtin_popcount(_mm512_cmp_pd_mask(ad, veps, _CMP_GT_OQ));
        const __mmask8 nz = _mm512_cmp_pd_mask(d, zero, _CMP_NEQ_OQ);
        const __m256i bins = _mm256_add_epi32(
            _mm512_cvt_roundpd_epi32(_mm512_mul_pd(d, scale), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC), vhalf);
        _mm256_storeu_si256((__m256i *)(void *)(p->queue + t.queued), _mm256_maskz_compress_epi32(nz, bins));
        queue_bins(p, &t, nz);
      }
    }
    sparse = (t.nonzero - before) * 4 < (uint64_t)(i - start);
  }
out:
  p->ndeltas = nd;
  p->sparse = sparse;
  double m[LANES];
  _mm512_storeu_pd(p->lane[S1], s.s1);
  _mm512_storeu_pd(p->lane[S2], s.s2);
  _mm512_storeu_pd(p->lane[SD2], zero_shift ? s.s2 : s.sd2);
  _mm512_storeu_pd(p->lane[SA2], s.sa2);
  _mm512_storeu_pd(p->lane[SB2], s.sb2);
  _mm512_storeu_pd(p->lane[SAB], s.sab);
  _mm512_storeu_pd(m, mx);
  kernel_end(p, m, LANES, &t, i0, i);
  return i;
}

/* The queued non-zero Δ of kernel_avx512's sparse blocks: their bins counted, |Δ| > ε and max|Δ|. */
AVX512 static void bin_deltas_avx512(Pass *p) {
  const __m512d scale = _mm512_set1_pd((double)p->size / (2 * p->range));
  const __m256i vhalf = _mm256_set1_epi32((int32_t)(p->size / 2));
  const __m512d veps = _mm512_set1_pd(p->eps);
  __m512d mx = _mm512_set1_pd(p->s[MAX_ABS]);
  uint64_t above = 0;
  uint32_t *counts = p->counts;
  const size_t n = p->ndeltas;
  for (size_t j = 0; j < n; j += LANES) {
    const unsigned left = n - j < LANES ? (unsigned)(n - j) : LANES;
    const __m512d d = _mm512_maskz_loadu_pd((__mmask8)((1u << left) - 1), p->deltas + j);
    const __m512d ad = _mm512_abs_pd(d); /* a lane past the queue's end is +0: no maximum, not > ε */
    mx = _mm512_max_pd(ad, mx);
    above += (uint64_t)__builtin_popcount(_mm512_cmp_pd_mask(ad, veps, _CMP_GT_OQ));
    uint32_t at[LANES];
    _mm256_storeu_si256((__m256i *)(void *)at,
                        _mm256_add_epi32(_mm512_cvt_roundpd_epi32(_mm512_mul_pd(d, scale),
                                                                  _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
                                         vhalf));
    for (unsigned k = 0; k < left; k++) counts[(size_t)at[k] * COPIES + k % COPIES] += 1;
  }
  double m[LANES];
  _mm512_storeu_pd(m, mx);
  for (int k = 0; k < LANES; k++) p->s[MAX_ABS] = m[k] > p->s[MAX_ABS] ? m[k] : p->s[MAX_ABS];
  p->s[ABOVE] += (double)above;
  p->ndeltas = 0;
}

/* The vector kernels for each pair of dtypes (so that the loads inline), chosen by da · DD_COUNT + db. */
typedef size_t (*VectorKernel)(const uint8_t *a, const uint8_t *b, size_t i, size_t n, double eps, Pass *p);
#define VECTOR_KERNELS(x, y)                                                                        \
  AVX2 __attribute__((noinline)) static size_t kernel_avx2_##x##_##y(                                \
      const uint8_t *a, const uint8_t *b, size_t i, size_t n, double eps, Pass *p) {               \
    if (p->s[SHIFT] == 0) return kernel_avx2(a, x, b, y, i, n, eps, p, 1);                         \
    return kernel_avx2(a, x, b, y, i, n, eps, p, 0);                                               \
  }                                                                                                \
  AVX512 __attribute__((noinline)) static size_t kernel_avx512_##x##_##y(                            \
      const uint8_t *a, const uint8_t *b, size_t i, size_t n, double eps, Pass *p) {               \
    if (p->s[SHIFT] == 0) return kernel_avx512(a, x, b, y, i, n, eps, p, 1);                       \
    return kernel_avx512(a, x, b, y, i, n, eps, p, 0);                                             \
  }
VECTOR_KERNELS(0, 0)
VECTOR_KERNELS(0, 1)
VECTOR_KERNELS(0, 2)
VECTOR_KERNELS(1, 0)
VECTOR_KERNELS(1, 1)
VECTOR_KERNELS(1, 2)
VECTOR_KERNELS(2, 0)
VECTOR_KERNELS(2, 1)
VECTOR_KERNELS(2, 2)
/* [level − 1][da · DD_COUNT + db]: level 1 AVX2, 2 AVX-512 */
static const VectorKernel VECTOR_KERNELS[2][DD_COUNT * DD_COUNT] = {
    {kernel_avx2_0_0, kernel_avx2_0_1, kernel_avx2_0_2, kernel_avx2_1_0, kernel_avx2_1_1, kernel_avx2_1_2,
     kernel_avx2_2_0, kernel_avx2_2_1, kernel_avx2_2_2},
    {kernel_avx512_0_0, kernel_avx512_0_1, kernel_avx512_0_2, kernel_avx512_1_0, kernel_avx512_1_1,
     kernel_avx512_1_2, kernel_avx512_2_0, kernel_avx512_2_1, kernel_avx512_2_2},
};
#endif

static void bin_deltas(Pass *p) {
#if HAVE_VECTOR_PASS
  if (p->ndeltas > 0) bin_deltas_avx512(p);
#else
  (void)p;
#endif
}

/* Adds the queued Δ and bins, the zeros and the integer counts into `fine` and clears them (before a
 * re-binning and at the end). A counter holds at most ⌈n / COPIES⌉ counts, which fits 32 bits for
 * any chunk of < 2^34 elements. */
static void flush(Pass *p) {
  bin_deltas(p);
  count_queue(p);
  p->fine[p->size / 2] += (double)p->zeros;
  p->zeros = 0;
  for (size_t f = 0; f < p->size; f++) {
    uint32_t *c = p->counts + f * COPIES;
    uint64_t sum = 0;
    for (int k = 0; k < COPIES; k++) sum += c[k];
    if (sum != 0) p->fine[f] += (double)sum;
    memset(c, 0, COPIES * sizeof(uint32_t));
  }
}

/* growHistogram of delta-histogram.ts: R up to the smallest power of two above abs, the fine bins
 * merged in runs of 2^k. Returns 0 when the scratch cannot be allocated. */
static int grow(Pass *p, double abs) {
  double range = p->range;
  int k = 0;
  while (range <= abs) {
    range *= 2;
    k++;
  }
  int log2_size = 0;
  while (((size_t)1 << log2_size) < p->size) log2_size++;
  const int shift = k < log2_size - 1 ? k : log2_size - 1;
  const size_t offset = p->size / 2 - (p->size >> (shift + 1));
  double *merged = (double *)calloc(p->size, sizeof(double));
  if (merged == NULL) return 0;
  for (size_t i = 0; i < p->size; i++) merged[(i >> shift) + offset] += p->fine[i];
  memcpy(p->fine, merged, p->size * sizeof(double));
  free(merged);
  p->range = range;
  return 1;
}

/* addElement of delta-stats.ts: element i outside the kernel's groups. A non-finite Δ is counted
 * and skipped; otherwise the histogram grows if it must and the element adds into its lane.
 * Returns 0 on an allocation failure. */
static ALWAYS_INLINE int element(const uint8_t *a, int da, const uint8_t *b, int db, size_t i,
                                 double eps, Pass *p, int fast) {
  const double av = load(a, i, da);
  const double bv = load(b, i, db);
  const double d = bv - av;
  if (d - d != 0) {
    p->s[NON_FINITE] += 1;
    return 1;
  }
  const double ad = fabs(d);
  if (ad >= p->range) {
    flush(p);
    if (!grow(p, ad)) return 0;
  }
  const size_t k = i % LANES;
  const double t = d - p->s[SHIFT];
  p->lane[S1][k] += t;
  p->lane[S2][k] += t * t;
  p->lane[SD2][k] += d * d;
  p->lane[SA2][k] += av * av;
  p->lane[SB2][k] += bv * bv;
  p->lane[SAB][k] += av * bv;
  p->s[MAX_ABS] = ad > p->s[MAX_ABS] ? ad : p->s[MAX_ABS];
  p->s[ABOVE] += (double)(ad > eps);
  p->s[FLIPS] += (double)(av * bv < 0);
  const double scale = (double)p->size / (2 * p->range);
  p->counts[(size_t)(floor_i64(d * scale, fast) + (int64_t)(p->size / 2)) * COPIES + k % COPIES] += 1;
  return 1;
}

/* foldLanes of delta-stats.ts: ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)). */
static double fold8(const double *l) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }

static void fold(Pass *p) {
  for (int j = 0; j < LANE_SUMS; j++) p->s[j] = fold8(p->lane[j]);
}

/* The pass of accumulateDelta: the shift, the kernel over whole groups, and element by element the
 * group it stopped at or the last partial group. `level`: 0 the scalar kernel, 1 AVX2, 2 AVX-512.
 * Returns 0 on an allocation failure. */
static ALWAYS_INLINE int pass(const uint8_t *a, int da, const uint8_t *b, int db, size_t n, double eps,
                              Pass *p, int fast, int level) {
  p->s[SHIFT] = 0;
  for (size_t i = 0; i < n; i++) {
    const double d = load(b, i, db) - load(a, i, da);
    if (d - d == 0) {
      p->s[SHIFT] = d;
      break;
    }
  }
  size_t i = 0;
  while (i < n) {
#if HAVE_VECTOR_PASS
    if (level > 0)
      i = VECTOR_KERNELS[level - 1][da * DD_COUNT + db](a, b, i, n, eps, p);
    else
#else
    (void)level;
#endif
      i = kernel(a, da, b, db, i, n, eps, p, fast);
    const size_t group_end = i + LANES < n ? i + LANES : n;
    for (; i < group_end; i++)
      if (!element(a, da, b, db, i, eps, p, fast)) return 0;
  }
  flush(p);
  fold(p);
  return 1;
}

/* accumulateUnchanged of delta-stats.ts (B bit-identical to A), written as the sums the full pass
 * would give: every finite Δ is +0 and lands in the centre bin, Σb² = Σab = Σa² term for term. The
 * vector builds compare A and B group by group while they take Σa² (one read of both instead of a
 * memcmp and then a read of A), giving up at the first group that differs; each takes Σa² over
 * whole groups of eight, one lane per vector element: a non-finite element adds nothing to its lane
 * (as +0 would not: a lane is a sum of squares, never −0) and is counted. */
#if HAVE_VECTOR_PASS
/* Whether the raw bytes of group i (eight elements of dtype dt) are the same in a and b. */
AVX2 static ALWAYS_INLINE int same_group(const uint8_t *a, const uint8_t *b, size_t i, int dt) {
  if (dt == DD_F32) {
    const __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(a + 32 * i)),
                                       _mm256_loadu_si256((const __m256i *)(const void *)(b + 32 * i)));
    return _mm256_testz_si256(x, x);
  }
  const __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(a + 16 * i)),
                                  _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * i)));
  return _mm_testz_si128(x, x);
}

/* Returns the elements done (whole groups), or SIZE_MAX at the first group where b differs from a. */
AVX2 static size_t unchanged_avx2(const uint8_t *a, const uint8_t *b, int da, size_t n, double *lanes,
                                  double *non_finite) {
  __m256d sum[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    if (!same_group(a, b, i / LANES, da)) return SIZE_MAX;
    for (int h = 0; h < 2; h++) {
      const __m256d v = load4(a, i + 4 * (size_t)h, da);
      const __m256d finite = _mm256_cmp_pd(_mm256_sub_pd(v, v), _mm256_setzero_pd(), _CMP_EQ_OQ);
      sum[h] = _mm256_add_pd(sum[h], _mm256_and_pd(_mm256_mul_pd(v, v), finite));
      bad += 4 - (uint64_t)__builtin_popcount((unsigned)_mm256_movemask_pd(finite));
    }
  }
  _mm256_storeu_pd(lanes, sum[0]);
  _mm256_storeu_pd(lanes + 4, sum[1]);
  *non_finite = (double)bad;
  return i;
}

AVX512 static size_t unchanged_avx512(const uint8_t *a, const uint8_t *b, int da, size_t n, double *lanes,
                                      double *non_finite) {
  __m512d sum = _mm512_setzero_pd();
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    if (!same_group(a, b, i / LANES, da)) return SIZE_MAX;
    const __m512d v = load8(a, i, da);
    const __mmask8 finite = _mm512_cmp_pd_mask(_mm512_sub_pd(v, v), _mm512_setzero_pd(), _CMP_EQ_OQ);
    sum = _mm512_mask_add_pd(sum, finite, sum, _mm512_mul_pd(v, v));
    bad += 8 - (uint64_t)__builtin_popcount(finite);
  }
  _mm512_storeu_pd(lanes, sum);
  *non_finite = (double)bad;
  return i;
}
#endif

/* The pass for b bit-identical to a (both of dtype da); returns 0, with p untouched, if they differ. */
static int unchanged(const uint8_t *a, const uint8_t *b, int da, size_t n, Pass *p, int level) {
  double lanes[LANES] = {0, 0, 0, 0, 0, 0, 0, 0};
  double non_finite = 0;
  size_t start = 0;
#if HAVE_VECTOR_PASS
  if (level == 2) start = unchanged_avx512(a, b, da, n, lanes, &non_finite);
  if (level == 1) start = unchanged_avx2(a, b, da, n, lanes, &non_finite);
  if (start == SIZE_MAX) return 0;
#endif
  if (memcmp(a + start * DD_BYTES[da], b + start * DD_BYTES[da], (n - start) * DD_BYTES[da]) != 0) return 0;
  for (size_t i = start; i < n; i++) {
    const double v = load(a, i, da);
    if (v - v == 0)
      lanes[i % LANES] += v * v;
    else
      non_finite += 1;
  }
  const double sum_sq = fold8(lanes);
  p->s[SHIFT] = 0;
  p->s[SA2] = p->s[SB2] = p->s[SAB] = sum_sq;
  p->s[NON_FINITE] = non_finite;
  p->fine[p->size / 2] += (double)n - non_finite;
  return 1;
}

#define PASS_CASE(x, y)                                                                            \
  case (x) * DD_COUNT + (y):                                                                       \
    return pass(a, x, b, y, n, eps, p, fast, level);

/* One instantiation of the pass per pair of dtypes, so that the loads inline. */
static ALWAYS_INLINE int dispatch_with(const uint8_t *a, int da, const uint8_t *b, int db, size_t n,
                                       double eps, Pass *p, int fast, int level) {
  if (da == db && unchanged(a, b, da, n, p, level)) return 1;
  switch (da * DD_COUNT + db) {
    PASS_CASE(DD_F32, DD_F32)
    PASS_CASE(DD_F32, DD_F16)
    PASS_CASE(DD_F32, DD_BF16)
    PASS_CASE(DD_F16, DD_F32)
    PASS_CASE(DD_F16, DD_F16)
    PASS_CASE(DD_F16, DD_BF16)
    PASS_CASE(DD_BF16, DD_F32)
    PASS_CASE(DD_BF16, DD_F16)
    PASS_CASE(DD_BF16, DD_BF16)
  }
  return 0;
}

static int dispatch_base(const uint8_t *a, int da, const uint8_t *b, int db, size_t n, double eps,
                         Pass *p) {
  return dispatch_with(a, da, b, db, n, eps, p, 0, 0);
}

/*
 * The same pass compiled for AVX2 (three-operand instructions, a one-instruction floor) around the
 * vector kernels of `level`, chosen at run time. No FMA: the operations and their rounding are the
 * baseline's.
 */
#if HAVE_VECTOR_PASS
AVX2 static int dispatch_vector(const uint8_t *a, int da, const uint8_t *b, int db, size_t n, double eps,
                                Pass *p, int level) {
  return dispatch_with(a, da, b, db, n, eps, p, 1, level);
}
#endif

/* Which build passes take: 2 AVX-512 (F, VL, BW, DQ), 1 AVX2, 0 the baseline. Tests force the
 * baseline with DELTASCOPE_DELTA_BASELINE and AVX2 with DELTASCOPE_DELTA_AVX2. Read on the JS thread,
 * when a pass is set up: getenv on a pass's own thread could race with a change to process.env. */
static int vector_level(void) {
#if HAVE_VECTOR_PASS
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || getenv("DELTASCOPE_DELTA_BASELINE") != NULL) return 0;
  pthread_once(&compress_once, fill_compress);
  if (getenv("DELTASCOPE_DELTA_AVX2") == NULL && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq"))
    return 2;
  return 1;
#else
  return 0;
#endif
}

static int dispatch(const uint8_t *a, int da, const uint8_t *b, int db, size_t n, double eps, Pass *p,
                    int level) {
#if HAVE_VECTOR_PASS
  if (level > 0) return dispatch_vector(a, da, b, db, n, eps, p, level);
#else
  (void)level;
#endif
  return dispatch_base(a, da, b, db, n, eps, p);
}

/* ------------------------------------------------------------------------------- N-API */

/* One pass's inputs and state; the chunks (or the files' descriptors), sums and fine bins stay JS
 * values (held by references while a thread reads them). */
typedef struct {
  const uint8_t *a, *b;
  int da, db;
  size_t n;
  double eps;
  double *sums;
  Pass p;
  int ok;
  int level; /* vector_level() */
  /* deltaPassFilesStart: a and b are byte ranges of open files, which the pass's thread maps */
  int mapped;
  int fd[2];
  int64_t position[2];
  int map_status; /* MAP_OK, or why a range could not be read (mapped_range.h) */
  int map_errno;
  int map_side; /* 0 (a) or 1 (b): the range map_status is about */
#ifndef _WIN32
  pthread_t thread;
#endif
  int threaded; /* a thread runs the pass and has not been joined */
  int finished; /* deltaPassFinish has returned its result */
  napi_env env;
  napi_ref refs[4];
} Job;

/* What both kinds of pass check and set up: sums (≥ SLOTS), fine (a power-of-two length), range,
 * epsilon, and the pass's counts and queue. */
static int setup_pass(napi_env env, const char *name, napi_value sums_value, napi_value fine_value,
                      double eps, double range, Job *job) {
  double *fine;
  size_t nsums, nfine;
  if (!typed(env, sums_value, napi_float64_array, (void **)&job->sums, &nsums) ||
      !typed(env, fine_value, napi_float64_array, (void **)&fine, &nfine))
    return fail(env, 0, "%s: sums and fine must be Float64Arrays", name), 0;
  if (nsums < SLOTS) return fail(env, 1, "%s: sums must hold %d slots", name, SLOTS), 0;
  if (nfine < 2 || (nfine & (nfine - 1)) != 0)
    return fail(env, 1, "%s: fine must have a power-of-two length ≥ 2 (got %zu)", name, nfine), 0;
  if (!(range > 0) || !isfinite(range) || !(eps >= 0) || !isfinite(eps))
    return fail(env, 1, "%s: range must be finite and > 0, epsilon finite and ≥ 0", name), 0;
  job->eps = eps;
  job->level = vector_level();
  memset(&job->p, 0, sizeof job->p);
  job->p.s[MAX_ABS] = job->sums[MAX_ABS];
  job->p.fine = fine;
  job->p.size = nfine;
  job->p.range = range;
  /* the queue of Δ, then the counts and the queue of bins */
  job->p.scratch = calloc((QUEUE + LANES) * sizeof(double) + (nfine * COPIES + QUEUE + LANES) * sizeof(uint32_t), 1);
  if (job->p.scratch == NULL) return fail(env, 1, "%s: out of memory for the histogram's counts", name), 0;
  job->p.deltas = (double *)job->p.scratch;
  job->p.counts = (uint32_t *)(void *)(job->p.deltas + QUEUE + LANES);
  job->p.queue = job->p.counts + nfine * COPIES;
  job->p.sparse = 1;
  return 1;
}

static int dtype_code(double code, int *out) {
  if (!(code == 0 || code == 1 || code == 2)) return 0;
  *out = (int)code;
  return 1;
}

/*
 * The arguments of deltaPass / deltaPassStart: (a: Uint8Array, dtypeA, b: Uint8Array, dtypeB,
 * epsilon, sums: Float64Array(11), fine: Float64Array, range). a and b hold the same number of
 * elements, each in its dtype (0 F32, 1 F16, 2 BF16), little-endian. sums[MAX_ABS] carries max|Δ|
 * in; out come the pass's sums (slots of delta-stats.ts) and, in slot 10, its shift. fine (a
 * power-of-two length) is filled and, when the range grows, re-binned in place.
 */
static int parse_job(napi_env env, napi_callback_info cbinfo, const char *name, napi_value *argv,
                     Job *job) {
  size_t argc = 8;
  uint8_t *a, *b;
  size_t na, nb;
  double dta, dtb, eps, range;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 8)
    return fail(env, 0, "%s takes 8 arguments", name), 0;
  if (!typed(env, argv[0], napi_uint8_array, (void **)&a, &na) ||
      !typed(env, argv[2], napi_uint8_array, (void **)&b, &nb))
    return fail(env, 0, "%s: a and b must be Uint8Arrays", name), 0;
  if (!number(env, argv[1], &dta) || !number(env, argv[3], &dtb) || !number(env, argv[4], &eps) ||
      !number(env, argv[7], &range))
    return fail(env, 0, "%s: dtypeA, dtypeB, epsilon and range must be numbers", name), 0;
  int da, db;
  if (!dtype_code(dta, &da) || !dtype_code(dtb, &db))
    return fail(env, 1, "%s: a dtype code must be 0 (F32), 1 (F16) or 2 (BF16)", name), 0;
  if (na % DD_BYTES[da] != 0 || nb % DD_BYTES[db] != 0 || na / DD_BYTES[da] != nb / DD_BYTES[db])
    return fail(env, 1, "%s: a has %zu bytes and b %zu: not the same number of elements", name, na, nb), 0;
  job->a = a;
  job->b = b;
  job->da = da;
  job->db = db;
  job->n = na / DD_BYTES[da];
  return setup_pass(env, name, argv[5], argv[6], eps, range, job);
}

static int run_dispatch(void *arg) {
  Job *job = (Job *)arg;
  return dispatch(job->a, job->da, job->b, job->db, job->n, job->eps, &job->p, job->level);
}

#ifndef _WIN32
/* The pass over the two files' ranges, each mapped for the pass (no copy out of the page cache),
 * a file that shrank meanwhile reported instead of a crash. */
static void run_mapped(Job *job) {
  MappedRange range[2];
  memset(range, 0, sizeof range);
  job->ok = 0;
  for (int k = 0; k < 2; k++) {
    const size_t bytes = job->n * DD_BYTES[k == 0 ? job->da : job->db];
    const int status = map_range(job->fd[k], job->position[k], bytes, &range[k]);
    if (status != MAP_OK) {
      job->map_status = status;
      job->map_errno = errno;
      job->map_side = k;
      break;
    }
  }
  if (job->map_status == MAP_OK) {
    job->a = range[0].bytes;
    job->b = range[1].bytes;
    int ok = 0;
    job->map_status = guarded_call(run_dispatch, job, &ok);
    job->ok = ok;
  }
  unmap_range(&range[0]);
  unmap_range(&range[1]);
  job->a = job->b = NULL;
}
#endif

static void run_job(Job *job) {
#ifndef _WIN32
  if (job->mapped)
    run_mapped(job);
  else
#endif
    job->ok = run_dispatch(job);
  free(job->p.scratch);
  job->p.scratch = NULL;
}

/* The pass's result into JS: sums copied, the new range returned (or an error thrown). */
static napi_value job_result(napi_env env, Job *job) {
  const char side = job->map_side == 0 ? 'A' : 'B';
  /* A file's fault: its own code, which native-delta.ts reports as INVALID_FILE naming the files. */
#define FILE_CODE "DELTASCOPE_DELTA_FILE"
  if (job->map_status == MAP_SHORT)
    return napi_args_fail(env, FILE_CODE, 1, "file %c ends before the chunk's last byte (truncated or changed while reading?)", side);
  if (job->map_status == MAP_FAILED_ERRNO)
    return napi_args_fail(env, FILE_CODE, 1, "file %c cannot be mapped: %s", side, strerror(job->map_errno));
  if (job->map_status == MAP_BUS)
    return napi_args_fail(env, FILE_CODE, 1, "a file shrank while it was read (truncated or changed while reading?)");
#undef FILE_CODE
  if (!job->ok) return fail(env, 1, "deltaPass: out of memory growing the histogram");
  memcpy(job->sums, job->p.s, sizeof job->p.s);
  napi_value out;
  if (napi_create_double(env, job->p.range, &out) != napi_ok) return fail(env, 0, "deltaPass: N-API failed");
  return out;
}

/* deltaPass(…) → the histogram's range after the pass, computed on the calling thread. */
napi_value delta_pass(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[8];
  Job job;
  memset(&job, 0, sizeof job);
  if (!parse_job(env, cbinfo, "deltaPass", argv, &job)) return NULL;
  run_job(&job);
  return job_result(env, &job);
}

#ifndef _WIN32
static void *thread_main(void *arg) {
  run_job((Job *)arg);
  return NULL;
}
#endif

/* Waits for the job's thread. Also an environment cleanup hook: a worker torn down with a pass in
 * flight waits for it before its arrays are freed. */
static void join_job(void *arg) {
  Job *job = (Job *)arg;
#ifndef _WIN32
  if (job->threaded) pthread_join(job->thread, NULL);
#endif
  job->threaded = 0;
}

static void release_job(Job *job) {
  if (job->threaded) {
    join_job(job);
    napi_remove_env_cleanup_hook(job->env, join_job, job);
  }
  for (int k = 0; k < 4; k++) {
    if (job->refs[k] != NULL) napi_delete_reference(job->env, job->refs[k]);
    job->refs[k] = NULL;
  }
}

static void finalize_job(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Job *job = (Job *)data;
  release_job(job);
  free(job->p.scratch);
  free(job);
}

/* Holds the JS values the pass reads (argv[held[k]]) and runs it on a thread of its own (on
 * Windows, or if no thread can be made, here and now); returns its handle. Frees the job on failure. */
static napi_value start_job(napi_env env, Job *job, const napi_value *argv, const int *held, int nheld,
                            const char *name) {
  job->env = env;
  for (int k = 0; k < nheld; k++) napi_create_reference(env, argv[held[k]], 1, &job->refs[k]);
  napi_value handle;
  if (napi_create_external(env, job, finalize_job, NULL, &handle) != napi_ok) {
    release_job(job);
    free(job->p.scratch);
    free(job);
    return fail(env, 0, "%s: N-API failed", name);
  }
#ifndef _WIN32
  if (pthread_create(&job->thread, NULL, thread_main, job) == 0) {
    job->threaded = 1;
    napi_add_env_cleanup_hook(env, join_job, job);
    return handle;
  }
#endif
  run_job(job);
  return handle;
}

/* deltaPassStart(…) → a handle: the pass runs on a thread of its own while JS reads the next
 * chunks; deltaPassFinish(handle) waits for it. The arrays must not be written until then. */
napi_value delta_pass_start(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[8];
  Job *job = (Job *)calloc(1, sizeof(Job));
  if (job == NULL) return fail(env, 1, "deltaPassStart: out of memory");
  if (!parse_job(env, cbinfo, "deltaPassStart", argv, job)) {
    free(job);
    return NULL;
  }
  const int held[4] = {0, 2, 5, 6};
  return start_job(env, job, argv, held, 4, "deltaPassStart");
}

#ifndef _WIN32
/*
 * deltaPassFilesStart(fdA, positionA, dtypeA, fdB, positionB, dtypeB, count, epsilon, sums, fine,
 * range) → a handle for deltaPassFinish: deltaPassStart over `count` elements stored at byte
 * `position` of each open file, which the pass's thread maps (and unmaps when done) instead of JS
 * reading them into buffers. The descriptors must stay open until deltaPassFinish.
 */
napi_value delta_pass_files_start(napi_env env, napi_callback_info cbinfo) {
  const char *name = "deltaPassFilesStart";
  size_t argc = 11;
  napi_value argv[11];
  double v[8];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 11)
    return fail(env, 0, "%s takes 11 arguments", name);
  for (int k = 0; k < 8; k++)
    if (!number(env, argv[k], &v[k]))
      return fail(env, 0, "%s: the descriptors, positions, dtypes, count and epsilon must be numbers", name);
  double range;
  if (!number(env, argv[10], &range)) return fail(env, 0, "%s: range must be a number", name);
  int da, db;
  if (!dtype_code(v[2], &da) || !dtype_code(v[5], &db))
    return fail(env, 1, "%s: a dtype code must be 0 (F32), 1 (F16) or 2 (BF16)", name);
  const double limit = 9007199254740992.0; /* 2^53 */
  for (int k = 0; k < 7; k++)
    if (k != 2 && k != 5 && !(v[k] >= 0 && v[k] < limit && v[k] == floor(v[k])))
      return fail(env, 1, "%s: descriptors, positions and the count must be integers ≥ 0", name);
  Job *job = (Job *)calloc(1, sizeof(Job));
  if (job == NULL) return fail(env, 1, "%s: out of memory", name);
  job->mapped = 1;
  job->fd[0] = (int)v[0];
  job->position[0] = (int64_t)v[1];
  job->fd[1] = (int)v[3];
  job->position[1] = (int64_t)v[4];
  job->da = da;
  job->db = db;
  job->n = (size_t)v[6];
  if (!setup_pass(env, name, argv[8], argv[9], v[7], range, job)) {
    free(job->p.scratch);
    free(job);
    return NULL;
  }
  const int held[2] = {8, 9};
  return start_job(env, job, argv, held, 2, name);
}
#endif

/* deltaPassFinish(handle) → the histogram's range after the pass; its sums are in `sums`. */
napi_value delta_pass_finish(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  napi_valuetype type;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL)
    return fail(env, 0, "deltaPassFinish takes a handle from deltaPassStart");
  Job *job = (Job *)data;
  if (job->finished) return fail(env, 1, "deltaPassFinish: this pass was already finished");
  release_job(job);
  job->finished = 1;
  return job_result(env, job);
}

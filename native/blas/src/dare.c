/*
 * DARE's drop-and-rescale (src-main/weights/aggregate-dare.ts) over float32 deltas of one run of
 * elements, bit for bit the JS loop's on every value but a NaN's payload (see aggregate.c):
 *
 * dareChunk(inputs, states, p, rescale, divisor, base, merge, out): delta i draws one uniform per
 *   element, in element order, from its xoshiro128** stream (states[4i … 4i+3], the words of the JS
 *   Rng's getState(), written back advanced past the run); the entry is kept iff u ≥ p.
 *   out[j] = (Σ of the kept Δᵢ[j]·rescale, in delta order) / divisor. base and merge as in aggregate.c.
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
#include "aggregate_common.h"

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

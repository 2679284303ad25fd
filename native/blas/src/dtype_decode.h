/* Raw little-endian F32/F16/BF16 elements widened to float32, as src-main/weights/formats/dtype-codec.ts
 * decodes them (so a kernel over raw bytes sees the values the JS side sees). */
#ifndef DELTASCOPE_DTYPE_DECODE_H
#define DELTASCOPE_DTYPE_DECODE_H
#include <stdint.h>
#include <string.h>

/* The decode sits in the kernels' hot loops: always inlined, also into their AVX2 builds. */
#if defined(__GNUC__)
#define DD_INLINE inline __attribute__((always_inline))
#else
#define DD_INLINE inline
#endif

/* Dtype codes (as in src-main/weights/native-delta.ts). */
enum { DD_F32 = 0, DD_F16 = 1, DD_BF16 = 2, DD_COUNT = 3 };
static const size_t DD_BYTES[DD_COUNT] = {4, 2, 2};

static DD_INLINE float dd_bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static DD_INLINE uint32_t dd_float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/* IEEE half → float32, as dtype-codec.ts's table: normals by re-biasing the exponent, subnormals as
 * m · 2^−24 (computed from an integer, so no subnormal float enters an instruction), ±∞ and NaN with
 * their payload. */
static DD_INLINE float dd_half_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t em = h & 0x7fffu;
  uint32_t u;
  if (em >= 0x7c00u) {
    u = 0x7f800000u | ((em & 0x3ffu) << 13);
  } else if (em >= 0x400u) {
    u = (em << 13) + (112u << 23);
  } else {
    u = dd_float_bits((float)em * 0x1p-24f);
  }
  return dd_bits_float(u | sign);
}

/* Element i of a raw chunk of dtype dt, as float32. */
static DD_INLINE float dd_load(const uint8_t *p, size_t i, int dt) {
  if (dt == DD_BF16) {
    uint16_t h;
    memcpy(&h, p + 2 * i, 2);
    return dd_bits_float((uint32_t)h << 16);
  }
  if (dt == DD_F16) {
    uint16_t h;
    memcpy(&h, p + 2 * i, 2);
    return dd_half_float(h);
  }
  float f;
  memcpy(&f, p + 4 * i, 4);
  return f;
}

#endif

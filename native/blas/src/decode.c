/*
 * decodeRaw(dtype, raw, out): raw little-endian F32/F16/BF16 elements widened to float32, the values
 * (and bits: NaN payloads, ±0, subnormals) src-main/weights/formats/dtype-codec.ts's decodeChunk
 * gives, for the chunks every aggregation and combination over sources reads.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "decode.h"
#include "dtype_decode.h"
#define NAPI_ARGS_CODE "DELTASCOPE_DECODE"
#include "napi_args.h"

/* One loop per dtype, so that each vectorises. */
static void decode_bf16(const uint8_t *raw, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = dd_load(raw, i, DD_BF16);
}
static void decode_f16(const uint8_t *raw, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = dd_load(raw, i, DD_F16);
}

/* decodeRaw(dtype: 0 F32 | 1 F16 | 2 BF16, raw: Uint8Array, out: Float32Array) */
napi_value decode_raw(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t dt;
  uint8_t *raw;
  float *out;
  size_t nraw, n;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &dt) != napi_ok ||
      !typed(env, argv[1], napi_uint8_array, (void **)&raw, &nraw) ||
      !typed(env, argv[2], napi_float32_array, (void **)&out, &n))
    return fail(env, 0, "decodeRaw(dtype: number, raw: Uint8Array, out: Float32Array)");
  if (dt < 0 || dt >= DD_COUNT) return fail(env, 1, "decodeRaw: dtype must be 0 (F32), 1 (F16) or 2 (BF16)");
  if (nraw < n * DD_BYTES[dt]) return fail(env, 1, "decodeRaw: raw holds fewer bytes than out needs");
  if (dt == DD_BF16)
    decode_bf16(raw, out, n);
  else if (dt == DD_F16)
    decode_f16(raw, out, n);
  else
    memcpy(out, raw, n * 4);
  return NULL;
}

static void encode_bf16(const uint32_t *bits, uint16_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const uint32_t x = bits[i];
    const uint32_t top = x >> 16;
    const uint16_t rounded = (uint16_t)((x + 0x7fffu + (top & 1u)) >> 16);
    const int nan = (x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu) != 0;
    const uint16_t kept = (uint16_t)((top & 0x7fu) == 0 ? top | 0x40u : top);
    out[i] = nan ? kept : rounded;
  }
}

/* encodeBf16(values: Float32Array, raw: Uint8Array) */
napi_value encode_bf16_raw(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t *bits;
  uint8_t *raw;
  size_t n, nraw;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      !typed(env, argv[0], napi_float32_array, (void **)&bits, &n) ||
      !typed(env, argv[1], napi_uint8_array, (void **)&raw, &nraw))
    return fail(env, 0, "encodeBf16(values: Float32Array, raw: Uint8Array)");
  if (nraw < 2 * n) return fail(env, 1, "encodeBf16: raw holds fewer bytes than the values need");
  if (((uintptr_t)raw & 1u) == 0) {
    encode_bf16(bits, (uint16_t *)(void *)raw, n);
  } else {
    /* an odd byte offset: through an aligned block */
    uint16_t block[1024];
    for (size_t i = 0; i < n; i += 1024) {
      const size_t m = n - i < 1024 ? n - i : 1024;
      encode_bf16(bits + i, block, m);
      memcpy(raw + 2 * i, block, 2 * m);
    }
  }
  return NULL;
}

/* decodeRaw and encodeBf16 (decode.c): decodeChunk's F16/BF16 loops and encodeChunk's BF16 loop. */
#ifndef DELTASCOPE_DECODE_H
#define DELTASCOPE_DECODE_H
#include <node_api.h>

napi_value decode_raw(napi_env env, napi_callback_info cbinfo);
napi_value encode_bf16_raw(napi_env env, napi_callback_info cbinfo);

#endif

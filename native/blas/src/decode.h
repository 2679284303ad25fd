/* decodeRaw (decode.c): raw F32/F16/BF16 elements widened to float32, as decodeChunk does. */
#ifndef DELTASCOPE_DECODE_H
#define DELTASCOPE_DECODE_H
#include <node_api.h>

napi_value decode_raw(napi_env env, napi_callback_info cbinfo);

#endif

/* deltaPass (delta_stats.c): the diff statistics' fused pass over raw F32/F16/BF16 chunks. */
#ifndef DELTASCOPE_DELTA_STATS_H
#define DELTASCOPE_DELTA_STATS_H
#include <node_api.h>

napi_value delta_pass(napi_env env, napi_callback_info cbinfo);
napi_value delta_pass_start(napi_env env, napi_callback_info cbinfo);
napi_value delta_pass_finish(napi_env env, napi_callback_info cbinfo);
#ifndef _WIN32
napi_value delta_pass_files_start(napi_env env, napi_callback_info cbinfo);
#endif

#endif

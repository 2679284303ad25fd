/* heatmapPass and absInRange (heatmap_pass.c): the heatmap's pass over raw F32/F16/BF16 chunks. */
#ifndef DELTASCOPE_HEATMAP_PASS_H
#define DELTASCOPE_HEATMAP_PASS_H
#include <node_api.h>

napi_value heatmap_pass(napi_env env, napi_callback_info cbinfo);
napi_value abs_in_range(napi_env env, napi_callback_info cbinfo);

#endif

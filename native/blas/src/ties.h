/* tiesTrim, tiesMerge and combine2 (ties.c): TIES merging's trim rule and elected-sign disjoint mean. */
#ifndef DELTASCOPE_TIES_H
#define DELTASCOPE_TIES_H
#include <node_api.h>

napi_value ties_trim(napi_env env, napi_callback_info cbinfo);
napi_value ties_merge(napi_env env, napi_callback_info cbinfo);
napi_value combine2(napi_env env, napi_callback_info cbinfo);
napi_value ties_histogram(napi_env env, napi_callback_info cbinfo);

#endif

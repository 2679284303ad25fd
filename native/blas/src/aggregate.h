/* aggregateMean and aggregateMedian (aggregate.c), dareChunk (dare.c): the elementwise aggregators' loops. */
#ifndef DELTASCOPE_AGGREGATE_H
#define DELTASCOPE_AGGREGATE_H
#include <node_api.h>

napi_value aggregate_mean(napi_env env, napi_callback_info cbinfo);
napi_value aggregate_median(napi_env env, napi_callback_info cbinfo);
napi_value dare_chunk(napi_env env, napi_callback_info cbinfo);

#endif

/* The N-API argument checks the addon's kernels share: a TypeError/RangeError thrown with a formatted
 * message and the file's error code, a typed array of one type, a number.
 *
 * A file defines NAPI_ARGS_CODE (its error code, e.g. "DELTASCOPE_TIES") before including this, and
 * calls fail(env, range, format, …): range ≠ 0 throws a RangeError, else a TypeError; it returns NULL,
 * so `return fail(…)` ends a binding. */
#ifndef DELTASCOPE_NAPI_ARGS_H
#define DELTASCOPE_NAPI_ARGS_H
#include <node_api.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#ifndef NAPI_ARGS_CODE
#error "define NAPI_ARGS_CODE (the file's error code) before including napi_args.h"
#endif

static inline napi_value napi_args_fail(napi_env env, const char *code, int range, const char *format, ...) {
  char msg[256];
  va_list args;
  va_start(args, format);
  vsnprintf(msg, sizeof msg, format, args);
  va_end(args);
  if (range)
    napi_throw_range_error(env, code, msg);
  else
    napi_throw_type_error(env, code, msg);
  return NULL;
}

#define fail(env, range, ...) napi_args_fail((env), NAPI_ARGS_CODE, (range), __VA_ARGS__)

/* v is a typed array of type want: its data and element count. */
static inline int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value buf;
  size_t off;
  return napi_is_typedarray(env, v, &is_typed) == napi_ok && is_typed &&
         napi_get_typedarray_info(env, v, &type, len, data, &buf, &off) == napi_ok && type == want;
}

/* v is a number: its value. */
static inline int number(napi_env env, napi_value v, double *out) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_number && napi_get_value_double(env, v, out) == napi_ok;
}

#endif

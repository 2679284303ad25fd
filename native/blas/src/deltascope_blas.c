/*
 * deltascope_blas: single-precision GEMM and im2col convolution for the tfjs wasm backend, computed
 * by the machine's optimised BLAS (OpenBLAS, or Apple Accelerate) on the wasm heap in place.
 *
 * The BLAS library is opened at run time with dlopen, so the addon builds without BLAS headers and
 * loads on machines without BLAS (load() then throws and the engine keeps the plain wasm kernels).
 *
 * Every buffer argument is a Float32Array over the whole wasm heap plus element offsets; each call
 * checks that every matrix it touches lies inside the array before any arithmetic, so a wrong
 * offset is a RangeError, never a read or write outside the heap: every size argument is an integer
 * (no NaN, fraction or ±Infinity), no offset or stride is negative, and every size and extent is
 * computed with checked arithmetic (an overflowing product is refused, never wrapped).
 */
/* setenv (POSIX, not C11): without this, -std=c11 leaves it undeclared, which GCC 14 rejects. */
#define _POSIX_C_SOURCE 200809L
#define NAPI_VERSION 8
#include <node_api.h>
#ifdef _MSC_VER
#define restrict __restrict
#endif
#ifdef _WIN32
#include <windows.h>
#define dlopen(name, flags) ((void *)LoadLibraryA(name))
#define dlsym(lib, name) ((void *)GetProcAddress((HMODULE)(lib), (name)))
#define dlclose(lib) FreeLibrary((HMODULE)(lib))
#else
#include <dlfcn.h>
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "delta_stats.h"
#include "heatmap_pass.h"
#include "ties.h"
#include "aggregate.h"
#include "decode.h"

/*
 * oneDNN (Debian: libdnnl2, the library torch's CPU convolutions use) computes the convolutions when
 * the addon was built with its v2 headers (libdnnl-dev) and libdnnl.so.2 opens at run time: its
 * AVX-512/AVX2 JIT kernels run the CNN's skinny convolutions 2–3× faster than im2col + BLAS. It is
 * opened with dlopen like BLAS, so the addon never needs it to load.
 */
#if defined(__GNUC__) && defined(__has_include)
#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
#if DNNL_VERSION_MAJOR == 2
#define HAVE_DNNL 1
#endif
#endif
#endif
#ifndef HAVE_DNNL
#define HAVE_DNNL 0
#endif

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
enum { ACT_LINEAR = 0, ACT_RELU = 1 };

typedef void (*sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);

static void *g_lib = NULL;
static sgemm_fn g_sgemm = NULL;
static char g_library[512] = "";

#if HAVE_DNNL
/* One cached oneDNN convolution (per mode and geometry) with its memory objects and, where the
 * primitive wants blocked weights, the reorder between our HWIO layout and its own. */
typedef struct {
  int state; /* 0 empty, 1 ready, −1 oneDNN refused this geometry (use im2col) */
  int64_t key[20];
  unsigned long last_use;
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  dnnl_memory_t m_src, m_wei, m_dst, m_bias, m_user_wei;
  dnnl_primitive_t reorder; /* HWIO → blocked (forward, input gradient) or back (filter gradient) */
  float *wei_buf;
} ConvPrim;
#define CONV_CACHE 24
#endif

/* Per-environment (main thread or worker thread) state: the im2col buffer, grown on demand, and
 * the oneDNN engine, stream and convolution cache (a stream must not be shared between threads). */
typedef struct {
  float *data;
  size_t len;
#if HAVE_DNNL
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  ConvPrim cache[CONV_CACHE];
  unsigned long tick;
#endif
} Scratch;

/* ------------------------------------------------------------------------------- N-API helpers */

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, "DELTASCOPE_BLAS", "N-API call failed: " #call);                      \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

/* The call's first `want` arguments into argv; else a TypeError naming the function. */
static int get_args(napi_env env, napi_callback_info cbinfo, size_t want, napi_value *argv,
                    const char *name) {
  size_t argc = want;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) == napi_ok && argc >= want) return 1;
  char msg[128];
  snprintf(msg, sizeof msg, "%s takes %zu arguments", name, want);
  napi_throw_type_error(env, "DELTASCOPE_BLAS", msg);
  return 0;
}

/* Whether v is a number; else a TypeError naming the argument. */
static int check_number(napi_env env, napi_value v, const char *name) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_number) return 1;
  char msg[128];
  snprintf(msg, sizeof msg, "%s must be a number", name);
  napi_throw_type_error(env, "DELTASCOPE_BLAS", msg);
  return 0;
}

static int get_f64(napi_env env, napi_value v, const char *name, double *out) {
  return check_number(env, v, name) && napi_get_value_double(env, v, out) == napi_ok;
}

/* A RangeError with a formatted message. Returns 0 so that checks read `return range_error(…)`. */
static int range_error(napi_env env, const char *format, ...) {
  char msg[256];
  va_list args;
  va_start(args, format);
  vsnprintf(msg, sizeof msg, format, args);
  va_end(args);
  napi_throw_range_error(env, "DELTASCOPE_BLAS", msg);
  return 0;
}

/* An integer argument: a number with no fraction within ±(2^53 − 1) (napi_get_value_int64 would
 * turn NaN and ±Infinity into 0 and truncate 2.5 to 2, which could pass a check by accident). */
static int get_i64(napi_env env, napi_value v, const char *name, int64_t *out) {
  double d;
  if (!get_f64(env, v, name, &d)) return 0;
  if (!(d == floor(d)) || fabs(d) > 9007199254740991.0)
    return range_error(env, "%s must be an integer (got %g)", name, d);
  *out = (int64_t)d;
  return 1;
}

/* *out = a·b when both are ≥ 0 and the product fits in int64; else 0 (overflow is refused). */
static int mul_size(int64_t a, int64_t b, int64_t *out) {
  if (a < 0 || b < 0 || (a != 0 && b > INT64_MAX / a)) return 0;
  *out = a * b;
  return 1;
}

/* *out = a + b when both are ≥ 0 and the sum fits in int64; else 0. */
static int add_size(int64_t a, int64_t b, int64_t *out) {
  if (a < 0 || b < 0 || b > INT64_MAX - a) return 0;
  *out = a + b;
  return 1;
}

/* *out = the product of count sizes, checked; else a RangeError naming `what`. */
static int product(napi_env env, const char *fn, const char *what, const int64_t *xs, int count,
                   int64_t *out) {
  int64_t p = 1;
  for (int i = 0; i < count; i++)
    if (!mul_size(p, xs[i], &p)) return range_error(env, "%s: the size of %s overflows", fn, what);
  *out = p;
  return 1;
}

/* A typed array's data and length in elements, checking its element type. */
static int get_array(napi_env env, napi_value v, napi_typedarray_type want, const char *name,
                     void **data, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value buf;
  size_t off;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, v, &type, len, data, &buf, &off) != napi_ok ||
      type != want) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a %s", name,
             want == napi_float32_array ? "Float32Array" : "Uint8Array");
    napi_throw_type_error(env, "DELTASCOPE_BLAS", msg);
    return 0;
  }
  return 1;
}

/* The Float32Array's data and length (in elements). */
static int get_heap(napi_env env, napi_value v, float **data, size_t *len) {
  return get_array(env, v, napi_float32_array, "heap", (void **)data, len);
}

/* [offset, offset + count) lies inside the heap (compared without computing offset + count). */
static int in_heap(napi_env env, const char *what, int64_t offset, int64_t count, size_t len) {
  if (offset < 0 || count < 0 || (uint64_t)count > (uint64_t)len ||
      (uint64_t)offset > (uint64_t)len - (uint64_t)count)
    return range_error(env, "%s [%lld, +%lld) lies outside the heap of %zu floats", what,
                       (long long)offset, (long long)count, len);
  return 1;
}

static int loaded(napi_env env) {
  if (g_sgemm == NULL) {
    napi_throw_error(env, "DELTASCOPE_BLAS", "no BLAS library is loaded (call load() first)");
    return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------------------- load / info */

static const char *DEFAULT_LIBRARIES[] = {
#if defined(_WIN32)
    "libopenblas.dll",
#elif defined(__APPLE__)
    "/System/Library/Frameworks/Accelerate.framework/Accelerate",
    "libopenblas.dylib",
#else
    "libopenblas.so.0",
    "libopenblasp-r0.so",
    "libopenblas.so",
    "libblas.so.3",
#endif
    NULL};

/* ------------------------------------------------------------------------------- oneDNN */

#if HAVE_DNNL
#define DNNL_FUNCTIONS(X)                                                                          \
  X(dnnl_engine_create) X(dnnl_engine_destroy) X(dnnl_stream_create) X(dnnl_stream_destroy)        \
  X(dnnl_stream_wait) X(dnnl_memory_desc_init_by_tag) X(dnnl_convolution_forward_desc_init)        \
  X(dnnl_convolution_backward_data_desc_init) X(dnnl_convolution_backward_weights_desc_init)       \
  X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_desc_query_md)     \
  X(dnnl_primitive_create) X(dnnl_primitive_destroy) X(dnnl_primitive_execute)                     \
  X(dnnl_memory_create) X(dnnl_memory_destroy) X(dnnl_memory_set_data_handle)                     \
  X(dnnl_memory_desc_equal) X(dnnl_memory_desc_get_size) X(dnnl_reorder_primitive_desc_create)     \
  X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) X(dnnl_primitive_attr_set_post_ops) \
  X(dnnl_post_ops_create) X(dnnl_post_ops_destroy) X(dnnl_post_ops_append_eltwise) X(dnnl_version)
#define DNNL_POINTER(f) static __typeof__(f) *p_##f = NULL;
DNNL_FUNCTIONS(DNNL_POINTER)
static void *g_dnnl = NULL;
static int g_dnnl_tried = 0;
static int g_dnnl_use = 1; /* setConvLibrary(false) keeps the convolutions on im2col + BLAS */

/* Opens libdnnl.so.2 once per process (unless DELTASCOPE_DNNL=off) and gives this environment an
 * engine and a stream; `threads` sets OpenMP's threads for this thread (oneDNN's runtime). */
static void dnnl_open(Scratch *s, int threads) {
  if (!g_dnnl_tried) {
    g_dnnl_tried = 1;
    const char *setting = getenv("DELTASCOPE_DNNL");
    if (setting != NULL && (strcmp(setting, "off") == 0 || strcmp(setting, "0") == 0)) return;
#ifndef _WIN32
    /* OpenMP's idle threads spin by default; with several threads they would fight OpenBLAS's own
     * pool and the JS thread for the cores (as torch's reference sets it too). Read when libgomp
     * loads with libdnnl, so set before; an explicit setting wins. */
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
#endif
    void *lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) return;
    int complete = 1;
#define DNNL_RESOLVE(f)                                                                            \
  p_##f = (__typeof__(f) *)dlsym(lib, #f);                                                         \
  complete = complete && p_##f != NULL;
    DNNL_FUNCTIONS(DNNL_RESOLVE)
    if (!complete || p_dnnl_version()->major != 2) {
      dlclose(lib);
      return;
    }
    g_dnnl = lib;
  }
  if (g_dnnl == NULL || s->engine != NULL) return;
  void (*omp_threads)(int) = (void (*)(int))dlsym(g_dnnl, "omp_set_num_threads");
  if (omp_threads != NULL && threads > 0) omp_threads(threads);
  if (p_dnnl_engine_create(&s->engine, dnnl_cpu, 0) != dnnl_success) {
    s->engine = NULL;
    return;
  }
  if (p_dnnl_stream_create(&s->stream, s->engine, dnnl_stream_default_flags) != dnnl_success) {
    p_dnnl_engine_destroy(s->engine);
    s->engine = NULL;
    s->stream = NULL;
  }
}

/* Releases an entry's oneDNN objects and buffer; its key, state and last use stay. */
static void conv_prim_release(ConvPrim *e) {
  if (e->prim != NULL) p_dnnl_primitive_destroy(e->prim);
  if (e->pd != NULL) p_dnnl_primitive_desc_destroy(e->pd);
  if (e->reorder != NULL) p_dnnl_primitive_destroy(e->reorder);
  dnnl_memory_t mems[] = {e->m_src, e->m_wei, e->m_dst, e->m_bias, e->m_user_wei};
  for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
    if (mems[i] != NULL) p_dnnl_memory_destroy(mems[i]);
  free(e->wei_buf);
  e->prim = NULL;
  e->pd = NULL;
  e->reorder = NULL;
  e->m_src = e->m_wei = e->m_dst = e->m_bias = e->m_user_wei = NULL;
  e->wei_buf = NULL;
}
#endif

static Scratch *env_state(napi_env env) {
  Scratch *s = NULL;
  if (napi_get_instance_data(env, (void **)&s) != napi_ok) return NULL;
  return s;
}

static napi_value make_info(napi_env env) {
  napi_value info, v;
  CHECK(napi_create_object(env, &info));
  CHECK(napi_create_string_utf8(env, g_library, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, info, "library", v));
  char *(*get_config)(void) = (char *(*)(void))dlsym(g_lib, "openblas_get_config");
  char *(*get_core)(void) = (char *(*)(void))dlsym(g_lib, "openblas_get_corename");
  int (*get_threads)(void) = (int (*)(void))dlsym(g_lib, "openblas_get_num_threads");
  if (get_config != NULL) {
    CHECK(napi_create_string_utf8(env, get_config(), NAPI_AUTO_LENGTH, &v));
    CHECK(napi_set_named_property(env, info, "config", v));
  }
  if (get_core != NULL) {
    CHECK(napi_create_string_utf8(env, get_core(), NAPI_AUTO_LENGTH, &v));
    CHECK(napi_set_named_property(env, info, "core", v));
  }
  if (get_threads != NULL) {
    CHECK(napi_create_int32(env, get_threads(), &v));
    CHECK(napi_set_named_property(env, info, "threads", v));
  }
#if HAVE_DNNL
  Scratch *s = env_state(env);
  if (s != NULL && s->engine != NULL) {
    const dnnl_version_t *version = p_dnnl_version();
    char text[64];
    snprintf(text, sizeof text, "oneDNN %d.%d.%d", version->major, version->minor, version->patch);
    CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v));
    CHECK(napi_set_named_property(env, info, "convolutions", v));
  }
#endif
  return info;
}

/* load(libraryPath: string | null, threads: number) → { library, config?, core?, threads? } */
static napi_value load(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  char requested[512] = "";
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t == napi_string) {
    size_t n;
    CHECK(napi_get_value_string_utf8(env, argv[0], requested, sizeof requested, &n));
  }
  int64_t threads = 1;
  if (argc >= 2 && !get_i64(env, argv[1], "threads", &threads)) return NULL;

  if (g_sgemm == NULL) {
    const char *tried = requested[0] != '\0' ? requested : NULL;
    for (int i = 0; g_lib == NULL && (tried != NULL ? i == 0 : DEFAULT_LIBRARIES[i] != NULL); i++) {
      const char *name = tried != NULL ? tried : DEFAULT_LIBRARIES[i];
      void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib != NULL && dlsym(lib, "cblas_sgemm") != NULL) {
        g_lib = lib;
        snprintf(g_library, sizeof g_library, "%s", name);
      } else if (lib != NULL) {
        dlclose(lib);
      }
    }
    if (g_lib == NULL) {
      char msg[700];
      snprintf(msg, sizeof msg, "no BLAS library with cblas_sgemm could be opened (tried %s)",
               tried != NULL ? tried : "libopenblas.so.0, libopenblasp-r0.so, libopenblas.so, libblas.so.3");
      napi_throw_error(env, "BLAS_UNAVAILABLE", msg);
      return NULL;
    }
    g_sgemm = (sgemm_fn)dlsym(g_lib, "cblas_sgemm");
  }
  void (*set_threads)(int) = (void (*)(int))dlsym(g_lib, "openblas_set_num_threads");
  if (set_threads != NULL && threads > 0) set_threads((int)threads);
#if HAVE_DNNL
  Scratch *state = env_state(env);
  if (state != NULL) dnnl_open(state, (int)threads);
#endif
  return make_info(env);
}

/* ------------------------------------------------------------------------------- kernels */

/* C[m×n] (row-major, at cOff) = op(A)·op(B) + bias, then the activation. bias: biasOff < 0 for
 * none, else biasLen 1 (a scalar) or n (one per column). */
static void gemm_bias_act(int trans_a, int trans_b, int m, int n, int k, const float *a,
                          const float *b, float *c, const float *bias, int64_t bias_len, int act) {
  float beta = 0.0f;
  if (bias != NULL) {
    for (int i = 0; i < m; i++) {
      float *row = c + (size_t)i * n;
      if (bias_len == 1) {
        for (int j = 0; j < n; j++) row[j] = bias[0];
      } else {
        memcpy(row, bias, sizeof(float) * (size_t)n);
      }
    }
    beta = 1.0f;
  }
  if (k == 0) {
    if (bias == NULL) memset(c, 0, sizeof(float) * (size_t)m * n);
  } else {
    g_sgemm(ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k, 1.0f, a,
            trans_a ? m : k, b, trans_b ? k : n, beta, c, n);
  }
  if (act == ACT_RELU) {
    size_t total = (size_t)m * n;
    for (size_t i = 0; i < total; i++) c[i] = c[i] > 0.0f ? c[i] : 0.0f;
  }
}

/*
 * gemm(heap, transA, transB, batch, m, n, k, aOff, aStride, bOff, bStride, cOff, biasOff, biasLen,
 *      act): for each batch index i, C_i = op(A_i)·op(B_i) (+ bias, activation), where
 *      A_i starts at aOff + i·aStride (aStride 0 broadcasts one matrix), likewise B; C is dense.
 */
static napi_value gemm(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[15];
  if (!get_args(env, cbinfo, 15, argv, "gemm")) return NULL;
  float *heap;
  size_t len;
  int64_t ta, tb, batch, m, n, k, a_off, a_stride, b_off, b_stride, c_off, bias_off, bias_len, act;
  if (!get_heap(env, argv[0], &heap, &len) || !get_i64(env, argv[1], "transA", &ta) ||
      !get_i64(env, argv[2], "transB", &tb) || !get_i64(env, argv[3], "batch", &batch) ||
      !get_i64(env, argv[4], "m", &m) || !get_i64(env, argv[5], "n", &n) ||
      !get_i64(env, argv[6], "k", &k) || !get_i64(env, argv[7], "aOff", &a_off) ||
      !get_i64(env, argv[8], "aStride", &a_stride) || !get_i64(env, argv[9], "bOff", &b_off) ||
      !get_i64(env, argv[10], "bStride", &b_stride) || !get_i64(env, argv[11], "cOff", &c_off) ||
      !get_i64(env, argv[12], "biasOff", &bias_off) ||
      !get_i64(env, argv[13], "biasLen", &bias_len) || !get_i64(env, argv[14], "act", &act))
    return NULL;
  if (!loaded(env)) return NULL;
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1)) {
    range_error(env, "gemm: transA and transB must be 0 or 1 (got %lld, %lld)", (long long)ta,
                (long long)tb);
    return NULL;
  }
  if (batch < 1 || m < 0 || n < 0 || k < 0 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) {
    range_error(env, "gemm: sizes must be batch ≥ 1 and 0 ≤ m, n, k ≤ 2^31 − 1 (got %lld, %lld, %lld, %lld)",
                (long long)batch, (long long)m, (long long)n, (long long)k);
    return NULL;
  }
  if (a_stride < 0 || b_stride < 0) {
    range_error(env, "gemm: aStride and bStride must be ≥ 0 (got %lld, %lld)", (long long)a_stride,
                (long long)b_stride);
    return NULL;
  }
  if ((act != ACT_LINEAR && act != ACT_RELU) || bias_off < -1 ||
      (bias_off >= 0 && bias_len != 1 && bias_len != n)) {
    range_error(env, "gemm: invalid activation %lld, or bias (offset %lld, length %lld; want offset "
                "-1 for none, length 1 or n = %lld)", (long long)act, (long long)bias_off,
                (long long)bias_len, (long long)n);
    return NULL;
  }
  /* extents: A and B span stride·(batch − 1) + one matrix, C batch dense matrices */
  int64_t a_span = 0, b_span = 0, a_ext = 0, b_ext = 0, c_ext = 0, mk = 0, kn = 0, mn = 0;
  if (!mul_size(m, k, &mk) || !mul_size(k, n, &kn) || !mul_size(m, n, &mn) ||
      !mul_size(a_stride, batch - 1, &a_span) || !add_size(a_span, mk, &a_ext) ||
      !mul_size(b_stride, batch - 1, &b_span) || !add_size(b_span, kn, &b_ext) ||
      !mul_size(batch, mn, &c_ext)) {
    range_error(env, "gemm: the extent of A, B or C overflows");
    return NULL;
  }
  if (!in_heap(env, "A", a_off, a_ext, len) || !in_heap(env, "B", b_off, b_ext, len) ||
      !in_heap(env, "C", c_off, c_ext, len) ||
      (bias_off >= 0 && !in_heap(env, "bias", bias_off, bias_len, len)))
    return NULL;
  if (c_ext == 0) return NULL; /* empty C: nothing to write (and no loop over a huge batch) */
  for (int64_t i = 0; i < batch; i++) {
    gemm_bias_act((int)ta, (int)tb, (int)m, (int)n, (int)k, heap + a_off + i * a_stride,
                  heap + b_off + i * b_stride, heap + c_off + i * m * n,
                  bias_off >= 0 ? heap + bias_off : NULL, bias_len, (int)act);
  }
  return NULL;
}

static float *scratch(napi_env env, size_t count) {
  Scratch *s = env_state(env);
  if (s == NULL || count > SIZE_MAX / sizeof(float)) return NULL;
  if (count > s->len) {
    free(s->data);
    s->data = (float *)malloc(sizeof(float) * count);
    s->len = s->data == NULL ? 0 : count;
  }
  return s->data;
}

static void free_scratch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Scratch *s = (Scratch *)data;
#if HAVE_DNNL
  for (int i = 0; i < CONV_CACHE; i++) conv_prim_release(&s->cache[i]);
  if (s->stream != NULL) p_dnnl_stream_destroy(s->stream);
  if (s->engine != NULL) p_dnnl_engine_destroy(s->engine);
#endif
  free(s->data);
  free(s);
}

/* The geometry of one NHWC convolution with an HWIO filter. */
typedef struct {
  int64_t batch, in_h, in_w, in_c, f_h, f_w, out_c, out_h, out_w, s_h, s_w, d_h, d_w, pad_t, pad_l;
} ConvShape;

/* im2col over output rows [r0, r1): row r = (n, oy, ox) of `buf` (relative to r0) holds that output
 * pixel's receptive field in (fy, fx, c) order, matching the HWIO filter's rows; padding reads 0. */
static void im2col_rows(const float *x, float *buf, const ConvShape *c, int64_t r0, int64_t r1) {
  const int64_t cols = c->f_h * c->f_w * c->in_c, plane = c->out_h * c->out_w;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / plane, oy = (r % plane) / c->out_w, ox = r % c->out_w;
    const float *xb = x + b * c->in_h * c->in_w * c->in_c;
    float *dst = buf + (r - r0) * cols;
    for (int64_t fy = 0; fy < c->f_h; fy++) {
      const int64_t iy = oy * c->s_h - c->pad_t + fy * c->d_h;
      for (int64_t fx = 0; fx < c->f_w; fx++) {
        const int64_t ix = ox * c->s_w - c->pad_l + fx * c->d_w;
        /* plain loops, not memcpy/memset: channel runs are short (4 floats for the first layer) */
        if (iy < 0 || iy >= c->in_h || ix < 0 || ix >= c->in_w) {
          for (int64_t k = 0; k < c->in_c; k++) dst[k] = 0.0f;
        } else {
          const float *src = xb + (iy * c->in_w + ix) * c->in_c;
          for (int64_t k = 0; k < c->in_c; k++) dst[k] = src[k];
        }
        dst += c->in_c;
      }
    }
  }
}

/* The adjoint of im2col_rows: adds each row's receptive-field values back into dx. */
static void col2im_rows(const float *buf, float *dx, const ConvShape *c, int64_t r0, int64_t r1) {
  const int64_t cols = c->f_h * c->f_w * c->in_c, plane = c->out_h * c->out_w;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / plane, oy = (r % plane) / c->out_w, ox = r % c->out_w;
    float *dxb = dx + b * c->in_h * c->in_w * c->in_c;
    const float *src = buf + (r - r0) * cols;
    for (int64_t fy = 0; fy < c->f_h; fy++) {
      const int64_t iy = oy * c->s_h - c->pad_t + fy * c->d_h;
      for (int64_t fx = 0; fx < c->f_w; fx++) {
        const int64_t ix = ox * c->s_w - c->pad_l + fx * c->d_w;
        if (iy >= 0 && iy < c->in_h && ix >= 0 && ix < c->in_w) {
          float *dst = dxb + (iy * c->in_w + ix) * c->in_c;
          for (int64_t k = 0; k < c->in_c; k++) dst[k] += src[k];
        }
        src += c->in_c;
      }
    }
  }
}

enum { CONV_FORWARD = 0, CONV_FILTER_GRAD = 1, CONV_INPUT_GRAD = 2 };

/* Output rows per block: the block's im2col buffer stays about 512 KiB, inside the L2 cache, so
 * it is written and read by the GEMM without a round trip to memory. */
static int64_t block_rows(int64_t cols) {
  const int64_t rows = (int64_t)(512 * 1024 / sizeof(float)) / (cols > 0 ? cols : 1);
  return rows < 64 ? 64 : rows;
}

#if HAVE_DNNL
/* A memory object over no buffer yet (handles are set per call), or NULL. */
static dnnl_memory_t dnnl_mem(const dnnl_memory_desc_t *md, dnnl_engine_t engine) {
  dnnl_memory_t m = NULL;
  return p_dnnl_memory_create(&m, md, engine, DNNL_MEMORY_NONE) == dnnl_success ? m : NULL;
}

/* Builds the cached primitive for one convolution; 0 when oneDNN refuses it. */
static int conv_prim_build(Scratch *s, ConvPrim *e, int mode, const ConvShape *c, int has_bias,
                           int relu) {
  const int64_t pad_b = (c->out_h - 1) * c->s_h + c->f_h - c->in_h - c->pad_t;
  const int64_t pad_r = (c->out_w - 1) * c->s_w + c->f_w - c->in_w - c->pad_l;
  if (pad_b < 0 || pad_r < 0) return 0;
  dnnl_memory_desc_t src, dst, wei_any, wei_user, bias;
  dnnl_dims_t src_dims = {c->batch, c->in_c, c->in_h, c->in_w};
  dnnl_dims_t dst_dims = {c->batch, c->out_c, c->out_h, c->out_w};
  dnnl_dims_t wei_dims = {c->out_c, c->in_c, c->f_h, c->f_w};
  dnnl_dims_t bias_dims = {c->out_c};
  dnnl_dims_t strides = {c->s_h, c->s_w}, pad_l = {c->pad_t, c->pad_l}, pad_rb = {pad_b, pad_r};
  if (p_dnnl_memory_desc_init_by_tag(&src, 4, src_dims, dnnl_f32, dnnl_nhwc) != dnnl_success ||
      p_dnnl_memory_desc_init_by_tag(&dst, 4, dst_dims, dnnl_f32, dnnl_nhwc) != dnnl_success ||
      p_dnnl_memory_desc_init_by_tag(&wei_any, 4, wei_dims, dnnl_f32, dnnl_format_tag_any) != dnnl_success ||
      p_dnnl_memory_desc_init_by_tag(&wei_user, 4, wei_dims, dnnl_f32, dnnl_hwio) != dnnl_success ||
      p_dnnl_memory_desc_init_by_tag(&bias, 1, bias_dims, dnnl_f32, dnnl_x) != dnnl_success)
    return 0;
  /* the forward descriptor (the primitive itself, or the hint the backward ones need) */
  dnnl_convolution_desc_t fwd_desc;
  if (p_dnnl_convolution_forward_desc_init(&fwd_desc, dnnl_forward_training, dnnl_convolution_direct,
                                           &src, &wei_any, has_bias ? &bias : NULL, &dst, strides,
                                           pad_l, pad_rb) != dnnl_success)
    return 0;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t ops = NULL;
  if (relu) {
    if (p_dnnl_primitive_attr_create(&attr) != dnnl_success) return 0;
    if (p_dnnl_post_ops_create(&ops) != dnnl_success ||
        p_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) != dnnl_success ||
        p_dnnl_primitive_attr_set_post_ops(attr, ops) != dnnl_success) {
      if (ops != NULL) p_dnnl_post_ops_destroy(ops);
      p_dnnl_primitive_attr_destroy(attr);
      return 0;
    }
  }
  dnnl_primitive_desc_t fwd_pd = NULL;
  dnnl_status_t status = p_dnnl_primitive_desc_create(&fwd_pd, &fwd_desc, attr, s->engine, NULL);
  if (ops != NULL) p_dnnl_post_ops_destroy(ops);
  if (attr != NULL) p_dnnl_primitive_attr_destroy(attr);
  if (status != dnnl_success) return 0;
  if (mode == CONV_FORWARD) {
    e->pd = fwd_pd;
  } else {
    dnnl_convolution_desc_t desc;
    status = mode == CONV_INPUT_GRAD
                 ? p_dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &src,
                                                              &wei_any, &dst, strides, pad_l, pad_rb)
                 : p_dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &src,
                                                                 &wei_any, NULL, &dst, strides,
                                                                 pad_l, pad_rb);
    if (status == dnnl_success)
      status = p_dnnl_primitive_desc_create(&e->pd, &desc, NULL, s->engine, fwd_pd);
    p_dnnl_primitive_desc_destroy(fwd_pd);
    if (status != dnnl_success) {
      e->pd = NULL;
      return 0;
    }
  }
  if (p_dnnl_primitive_create(&e->prim, e->pd) != dnnl_success) return 0;
  /* the primitive's own weights layout; a reorder to or from our HWIO one when they differ */
  const dnnl_memory_desc_t *wei = p_dnnl_primitive_desc_query_md(
      e->pd, mode == CONV_FILTER_GRAD ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0);
  const dnnl_memory_desc_t *src_md = p_dnnl_primitive_desc_query_md(
      e->pd, mode == CONV_INPUT_GRAD ? dnnl_query_diff_src_md : dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *dst_md = p_dnnl_primitive_desc_query_md(
      e->pd, mode == CONV_FORWARD ? dnnl_query_dst_md : dnnl_query_diff_dst_md, 0);
  if (wei == NULL || src_md == NULL || dst_md == NULL || !p_dnnl_memory_desc_equal(src_md, &src) ||
      !p_dnnl_memory_desc_equal(dst_md, &dst))
    return 0; /* it wants other activation layouts: not worth the reorders */
  e->m_src = dnnl_mem(&src, s->engine);
  e->m_dst = dnnl_mem(&dst, s->engine);
  e->m_wei = dnnl_mem(wei, s->engine);
  if (has_bias) e->m_bias = dnnl_mem(&bias, s->engine);
  if (e->m_src == NULL || e->m_dst == NULL || e->m_wei == NULL || (has_bias && e->m_bias == NULL))
    return 0;
  if (!p_dnnl_memory_desc_equal(wei, &wei_user)) {
    dnnl_primitive_desc_t rpd = NULL;
    const dnnl_memory_desc_t *from = mode == CONV_FILTER_GRAD ? wei : &wei_user;
    const dnnl_memory_desc_t *to = mode == CONV_FILTER_GRAD ? &wei_user : wei;
    if (p_dnnl_reorder_primitive_desc_create(&rpd, from, s->engine, to, s->engine, NULL) != dnnl_success)
      return 0;
    status = p_dnnl_primitive_create(&e->reorder, rpd);
    p_dnnl_primitive_desc_destroy(rpd);
    e->m_user_wei = dnnl_mem(&wei_user, s->engine);
    e->wei_buf = (float *)malloc(p_dnnl_memory_desc_get_size(wei) + 64);
    if (status != dnnl_success || e->m_user_wei == NULL || e->wei_buf == NULL) return 0;
    p_dnnl_memory_set_data_handle(e->m_wei, e->wei_buf);
  }
  return 1;
}

/* The cached primitive for this convolution (built on first use), or NULL to use im2col. */
static ConvPrim *conv_prim(Scratch *s, int mode, const ConvShape *c, int has_bias, int relu) {
  if (!g_dnnl_use || s == NULL || s->engine == NULL || c->d_h != 1 || c->d_w != 1) return NULL;
  const int64_t key[20] = {mode + 1, c->batch, c->in_h, c->in_w, c->in_c, c->f_h, c->f_w,
                           c->out_c, c->out_h, c->out_w, c->s_h, c->s_w, c->pad_t, c->pad_l,
                           has_bias, relu};
  ConvPrim *oldest = &s->cache[0];
  s->tick++;
  for (int i = 0; i < CONV_CACHE; i++) {
    ConvPrim *e = &s->cache[i];
    if (e->state != 0 && memcmp(e->key, key, sizeof key) == 0) {
      e->last_use = s->tick;
      return e->state == 1 ? e : NULL;
    }
    if (e->state == 0 || e->last_use < oldest->last_use) oldest = e;
  }
  conv_prim_release(oldest);
  memcpy(oldest->key, key, sizeof key);
  oldest->last_use = s->tick;
  oldest->state = conv_prim_build(s, oldest, mode, c, has_bias, relu) ? 1 : -1;
  if (oldest->state == 1) return oldest;
  conv_prim_release(oldest); /* a refused geometry stays remembered, so it is not rebuilt each call */
  return NULL;
}

/* Runs one cached convolution on heap buffers: x (dX for the input gradient), w (dW for the
 * filter gradient), y (dY for both gradients), bias. 0 on a oneDNN error. */
static int conv_prim_run(Scratch *s, ConvPrim *e, int mode, float *x, float *w, float *y,
                         const float *bias) {
  if (e->reorder != NULL) {
    p_dnnl_memory_set_data_handle(e->m_user_wei, w);
    if (mode != CONV_FILTER_GRAD) {
      dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, e->m_user_wei}, {DNNL_ARG_TO, e->m_wei}};
      if (p_dnnl_primitive_execute(e->reorder, s->stream, 2, args) != dnnl_success) return 0;
    }
  } else {
    p_dnnl_memory_set_data_handle(e->m_wei, w);
  }
  p_dnnl_memory_set_data_handle(e->m_src, x);
  p_dnnl_memory_set_data_handle(e->m_dst, y);
  dnnl_exec_arg_t args[4];
  int n = 0;
  if (mode == CONV_FORWARD) {
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, e->m_src};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, e->m_wei};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST, e->m_dst};
    if (e->m_bias != NULL) {
      p_dnnl_memory_set_data_handle(e->m_bias, (void *)bias);
      args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->m_bias};
    }
  } else if (mode == CONV_INPUT_GRAD) {
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, e->m_src};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, e->m_wei};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, e->m_dst};
  } else {
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, e->m_src};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, e->m_wei};
    args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, e->m_dst};
  }
  if (p_dnnl_primitive_execute(e->prim, s->stream, n, args) != dnnl_success) return 0;
  if (e->reorder != NULL && mode == CONV_FILTER_GRAD) {
    dnnl_exec_arg_t back[] = {{DNNL_ARG_FROM, e->m_wei}, {DNNL_ARG_TO, e->m_user_wei}};
    if (p_dnnl_primitive_execute(e->reorder, s->stream, 2, back) != dnnl_success) return 0;
  }
  return p_dnnl_stream_wait(s->stream) == dnnl_success;
}
#endif

/*
 * conv2d(heap, xOff, batch, inH, inW, inC, fOff, fH, fW, outC, outH, outW, strideH, strideW,
 *        dilH, dilW, padTop, padLeft, outOff, biasOff, biasLen, act): NHWC input, HWIO filter,
 *        NHWC output; y = act(im2col(x)·W + b). Zero padding; any stride and dilation.
 * conv2dFilterGrad(the same arguments; fOff is the filter gradient dW (written), outOff the output
 *        gradient dY (read); biasOff −1, act 0): dW = im2col(x)ᵀ·dY.
 * conv2dInputGrad(the same arguments; xOff is the input gradient dX (written), fOff the filter W,
 *        outOff dY; biasOff −1, act 0): dX = col2im(dY·Wᵀ).
 * All three work in blocks of output rows (see block_rows).
 */
static napi_value conv_common(napi_env env, napi_callback_info cbinfo, int mode) {
  napi_value argv[22];
  if (!get_args(env, cbinfo, 22, argv, "conv2d")) return NULL;
  static const char *names[] = {"xOff",   "batch",   "inH",     "inW",    "inC",    "fOff",
                                "fH",     "fW",      "outC",    "outH",   "outW",   "strideH",
                                "strideW", "dilH",   "dilW",    "padTop", "padLeft", "outOff",
                                "biasOff", "biasLen", "act"};
  int64_t p[21];
  float *heap;
  size_t len;
  if (!get_heap(env, argv[0], &heap, &len)) return NULL;
  for (int i = 0; i < 21; i++)
    if (!get_i64(env, argv[i + 1], names[i], &p[i])) return NULL;
  if (!loaded(env)) return NULL;
  const ConvShape c = {p[1], p[2], p[3], p[4], p[6], p[7], p[8], p[9], p[10],
                       p[11], p[12], p[13], p[14], p[15], p[16]};
  const int64_t x_off = p[0], f_off = p[5], out_off = p[17], bias_off = p[18], bias_len = p[19];
  const int64_t act = p[20];
  /* every size and stride ≥ 1, the padding ≥ 0, all ≤ 2^31 − 1 (so the index arithmetic of
   * im2col, col2im and oneDNN's padding stays far inside int64) */
  for (int i = 1; i < 17; i++) {
    if (i == 5) continue; /* fOff */
    const int64_t lowest = i >= 15 ? 0 : 1;
    if (p[i] < lowest || p[i] > INT32_MAX) {
      range_error(env, "conv2d: %s must be between %lld and 2^31 − 1 (got %lld)", names[i],
                  (long long)lowest, (long long)p[i]);
      return NULL;
    }
  }
  if ((act != ACT_LINEAR && act != ACT_RELU) || bias_off < -1 ||
      (bias_off >= 0 && bias_len != 1 && bias_len != c.out_c) ||
      (mode != CONV_FORWARD && (bias_off >= 0 || act != ACT_LINEAR))) {
    range_error(env, "conv2d: invalid activation %lld, or bias (offset %lld, length %lld; want offset "
                "-1 for none, length 1 or outC; gradients take neither)", (long long)act,
                (long long)bias_off, (long long)bias_len);
    return NULL;
  }
  int64_t rows = 0, cols = 0, x_len = 0, f_len = 0, out_len = 0;
  const int64_t row_dims[] = {c.batch, c.out_h, c.out_w}, col_dims[] = {c.f_h, c.f_w, c.in_c};
  const int64_t x_dims[] = {c.batch, c.in_h, c.in_w, c.in_c};
  if (!product(env, "conv2d", "the output rows", row_dims, 3, &rows) ||
      !product(env, "conv2d", "a receptive field", col_dims, 3, &cols) ||
      !product(env, "conv2d", "x", x_dims, 4, &x_len) ||
      !product(env, "conv2d", "the filter", (const int64_t[]){cols, c.out_c}, 2, &f_len) ||
      !product(env, "conv2d", "the output", (const int64_t[]){rows, c.out_c}, 2, &out_len))
    return NULL;
  if (rows > INT32_MAX || cols > INT32_MAX) {
    range_error(env, "conv2d: %lld output rows of %lld columns exceed BLAS's 2^31 − 1", (long long)rows,
                (long long)cols);
    return NULL;
  }
  if (!in_heap(env, mode == CONV_INPUT_GRAD ? "dx" : "x", x_off, x_len, len) ||
      !in_heap(env, mode == CONV_FILTER_GRAD ? "dW" : "filter", f_off, f_len, len) ||
      !in_heap(env, mode == CONV_FORWARD ? "output" : "dy", out_off, out_len, len) ||
      (bias_off >= 0 && !in_heap(env, "bias", bias_off, bias_len, len)))
    return NULL;
  float *x = heap + x_off, *w = heap + f_off, *y = heap + out_off;
  const float *bias = bias_off >= 0 ? heap + bias_off : NULL;
  const int direct = c.f_h == 1 && c.f_w == 1 && c.s_h == 1 && c.s_w == 1 && c.pad_t == 0 &&
                     c.pad_l == 0 && c.out_h == c.in_h && c.out_w == c.in_w;
#if HAVE_DNNL
  if (bias == NULL || bias_len == c.out_c) { /* oneDNN takes a bias per channel, not a scalar */
    Scratch *state = env_state(env);
    ConvPrim *prim = conv_prim(state, mode, &c, bias != NULL, (int)act);
    if (prim != NULL) {
      if (!conv_prim_run(state, prim, mode, x, w, y, bias)) {
        napi_throw_error(env, "DELTASCOPE_BLAS", "conv2d: a oneDNN convolution failed");
      }
      return NULL;
    }
  }
#endif
  if (direct) { /* a 1×1 stride-1 unpadded convolution is a plain matrix product */
    if (mode == CONV_FORWARD) gemm_bias_act(0, 0, (int)rows, (int)c.out_c, (int)cols, x, w, y, bias, bias_len, (int)act);
    if (mode == CONV_FILTER_GRAD) gemm_bias_act(1, 0, (int)cols, (int)c.out_c, (int)rows, x, y, w, NULL, 0, ACT_LINEAR);
    if (mode == CONV_INPUT_GRAD) gemm_bias_act(0, 1, (int)rows, (int)cols, (int)c.out_c, y, w, x, NULL, 0, ACT_LINEAR);
    return NULL;
  }
  const int64_t step = block_rows(cols);
  float *buf = scratch(env, (size_t)(step < rows ? step : rows) * (size_t)cols);
  if (buf == NULL) {
    napi_throw_error(env, "DELTASCOPE_BLAS", "conv2d: out of memory for the im2col buffer");
    return NULL;
  }
  if (mode == CONV_INPUT_GRAD) memset(x, 0, sizeof(float) * (size_t)x_len);
  for (int64_t r0 = 0; r0 < rows; r0 += step) {
    const int64_t r1 = r0 + step < rows ? r0 + step : rows, n = r1 - r0;
    if (mode == CONV_FORWARD) {
      im2col_rows(x, buf, &c, r0, r1);
      gemm_bias_act(0, 0, (int)n, (int)c.out_c, (int)cols, buf, w, y + r0 * c.out_c, bias, bias_len, (int)act);
    } else if (mode == CONV_FILTER_GRAD) {
      im2col_rows(x, buf, &c, r0, r1);
      g_sgemm(ROW_MAJOR, TRANS, NO_TRANS, (int)cols, (int)c.out_c, (int)n, 1.0f, buf, (int)cols,
              y + r0 * c.out_c, (int)c.out_c, r0 == 0 ? 0.0f : 1.0f, w, (int)c.out_c);
    } else {
      g_sgemm(ROW_MAJOR, NO_TRANS, TRANS, (int)n, (int)cols, (int)c.out_c, 1.0f, y + r0 * c.out_c,
              (int)c.out_c, w, (int)c.out_c, 0.0f, buf, (int)cols);
      col2im_rows(buf, x, &c, r0, r1);
    }
  }
  return NULL;
}

static napi_value conv2d(napi_env env, napi_callback_info cbinfo) {
  return conv_common(env, cbinfo, CONV_FORWARD);
}

static napi_value conv2d_filter_grad(napi_env env, napi_callback_info cbinfo) {
  return conv_common(env, cbinfo, CONV_FILTER_GRAD);
}

static napi_value conv2d_input_grad(napi_env env, napi_callback_info cbinfo) {
  return conv_common(env, cbinfo, CONV_INPUT_GRAD);
}

/* ------------------------------------------------------------------------------- Adam */


typedef struct {
  float beta1, one_minus_b1, beta2, one_minus_b2, clip, step_size, sqrt_bias2, epsilon;
} AdamConstants;

/* The element-wise update over n elements, in float32 (vectorised; AVX2 clone where the CPU has it). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
static void adam_dense(float *restrict p, const float *restrict g, float *restrict m,
                       float *restrict v, size_t n, const AdamConstants *c) {
  const float b1 = c->beta1, ob1 = c->one_minus_b1, b2 = c->beta2, ob2 = c->one_minus_b2;
  const float clip = c->clip, step_size = c->step_size, sqrt_bias2 = c->sqrt_bias2;
  const float epsilon = c->epsilon;
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i] * clip;
    const float mj = b1 * m[i] + ob1 * gi;
    const float vj = b2 * v[i] + (ob2 * gi) * gi;
    const float denom = sqrtf(vj) / sqrt_bias2 + epsilon;
    m[i] = mj;
    v[i] = vj;
    p[i] = p[i] - step_size * (mj / denom);
  }
}

/*
 * adam(p, g, m, v, offset, mask | null, beta1, beta2, clip, stepSize, sqrtBias2, epsilon): the
 * update of nn/masked-adam.ts's adamUpdate with the same float32 operations in the same order
 * (compiled with -ffp-contract=off: no fused multiply-adds), so both give bit-identical parameters
 * and moments:
 *   g' = g·clip; m ← β₁m + (1−β₁)g'; v ← β₂v + ((1−β₂)g')g'; p ← p − s·(m/(√v/c₂ + ε)).
 * p and g hold one parameter; m, v (and the mask) are flat over all parameters, read at `offset`.
 */
static napi_value adam(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[12];
  if (!get_args(env, cbinfo, 12, argv, "adam")) return NULL;
  float *p, *g, *m, *v;
  uint8_t *mask = NULL;
  size_t np, ng, nm, nv, nmask = 0;
  int64_t offset;
  double beta1, beta2, clip, step_size, sqrt_bias2, epsilon;
  napi_valuetype mask_type;
  napi_typeof(env, argv[5], &mask_type);
  if (!get_array(env, argv[0], napi_float32_array, "p", (void **)&p, &np) ||
      !get_array(env, argv[1], napi_float32_array, "g", (void **)&g, &ng) ||
      !get_array(env, argv[2], napi_float32_array, "m", (void **)&m, &nm) ||
      !get_array(env, argv[3], napi_float32_array, "v", (void **)&v, &nv) ||
      !get_i64(env, argv[4], "offset", &offset) ||
      (mask_type != napi_null &&
       !get_array(env, argv[5], napi_uint8_array, "mask", (void **)&mask, &nmask)) ||
      !get_f64(env, argv[6], "beta1", &beta1) || !get_f64(env, argv[7], "beta2", &beta2) ||
      !get_f64(env, argv[8], "clip", &clip) || !get_f64(env, argv[9], "stepSize", &step_size) ||
      !get_f64(env, argv[10], "sqrtBias2", &sqrt_bias2) ||
      !get_f64(env, argv[11], "epsilon", &epsilon))
    return NULL;
  if (ng != np || offset < 0 || (uint64_t)offset + np > nm || nv != nm ||
      (mask != NULL && nmask != nm)) {
    napi_throw_range_error(env, "DELTASCOPE_BLAS",
                           "adam: g must match p, and m, v (and mask) must hold offset + p.length");
    return NULL;
  }
  m += offset;
  v += offset;
  if (mask != NULL) mask += offset;
  /* the constants rounded to float32 once, from the same doubles as Math.fround(…) in JS */
  const AdamConstants c = {(float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
                           (float)clip, (float)step_size, (float)sqrt_bias2, (float)epsilon};
  if (mask == NULL) {
    adam_dense(p, g, m, v, np, &c);
  } else {
    for (size_t i = 0; i < np; i++)
      if (mask[i] != 0) adam_dense(p + i, g + i, m + i, v + i, 1, &c);
  }
  return NULL;
}

/* sumSquares(start, g, mask | null, offset): start + Σ g² (unmasked elements) in the order of
 * nn/masked-adam.ts's addSquares: one running double sum, element by element. */
static napi_value sum_squares(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[4];
  if (!get_args(env, cbinfo, 4, argv, "sumSquares")) return NULL;
  double sum;
  float *g;
  uint8_t *mask = NULL;
  size_t ng, nmask = 0;
  int64_t offset;
  napi_valuetype mask_type;
  napi_typeof(env, argv[2], &mask_type);
  if (!get_f64(env, argv[0], "start", &sum) ||
      !get_array(env, argv[1], napi_float32_array, "g", (void **)&g, &ng) ||
      (mask_type != napi_null &&
       !get_array(env, argv[2], napi_uint8_array, "mask", (void **)&mask, &nmask)) ||
      !get_i64(env, argv[3], "offset", &offset))
    return NULL;
  if (offset < 0 || (mask != NULL && (uint64_t)offset + ng > nmask)) {
    napi_throw_range_error(env, "DELTASCOPE_BLAS", "sumSquares: the mask must hold offset + g.length");
    return NULL;
  }
  if (mask == NULL) {
    for (size_t i = 0; i < ng; i++) sum += (double)g[i] * (double)g[i];
  } else {
    for (size_t i = 0; i < ng; i++)
      if (mask[offset + i] != 0) sum += (double)g[i] * (double)g[i];
  }
  napi_value out;
  CHECK(napi_create_double(env, sum, &out));
  return out;
}

/* setConvLibrary(enabled: boolean) → whether oneDNN computes the convolutions from now on (false
 * when it is not available); tests compare both paths. */
static napi_value set_conv_library(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  bool enabled = false;
  CHECK(napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_bool(env, argv[0], &enabled) != napi_ok) {
    napi_throw_type_error(env, "DELTASCOPE_BLAS", "setConvLibrary takes a boolean");
    return NULL;
  }
  napi_value out;
#if HAVE_DNNL
  g_dnnl_use = enabled;
  Scratch *s = env_state(env);
  CHECK(napi_get_boolean(env, enabled && s != NULL && s->engine != NULL, &out));
#else
  CHECK(napi_get_boolean(env, false, &out));
#endif
  return out;
}

/* ------------------------------------------------------------------------------- module */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"load", NULL, load, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dFilterGrad", NULL, conv2d_filter_grad, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dInputGrad", NULL, conv2d_input_grad, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, adam, NULL, NULL, NULL, napi_default, NULL},
      {"sumSquares", NULL, sum_squares, NULL, NULL, NULL, napi_default, NULL},
      {"setConvLibrary", NULL, set_conv_library, NULL, NULL, NULL, napi_default, NULL},
      {"deltaPass", NULL, delta_pass, NULL, NULL, NULL, napi_default, NULL},
      {"deltaPassStart", NULL, delta_pass_start, NULL, NULL, NULL, napi_default, NULL},
      {"deltaPassFinish", NULL, delta_pass_finish, NULL, NULL, NULL, napi_default, NULL},
#ifndef _WIN32
      {"deltaPassFilesStart", NULL, delta_pass_files_start, NULL, NULL, NULL, napi_default, NULL},
#endif
      {"heatmapPass", NULL, heatmap_pass, NULL, NULL, NULL, napi_default, NULL},
      {"absInRange", NULL, abs_in_range, NULL, NULL, NULL, napi_default, NULL},
      {"tiesTrim", NULL, ties_trim, NULL, NULL, NULL, napi_default, NULL},
      {"tiesMerge", NULL, ties_merge, NULL, NULL, NULL, napi_default, NULL},
      {"combine2", NULL, combine2, NULL, NULL, NULL, napi_default, NULL},
      {"tiesHistogram", NULL, ties_histogram, NULL, NULL, NULL, napi_default, NULL},
      {"aggregateMean", NULL, aggregate_mean, NULL, NULL, NULL, napi_default, NULL},
      {"aggregateMedian", NULL, aggregate_median, NULL, NULL, NULL, napi_default, NULL},
      {"dareChunk", NULL, dare_chunk, NULL, NULL, NULL, napi_default, NULL},
      {"decodeRaw", NULL, decode_raw, NULL, NULL, NULL, napi_default, NULL},
      {"encodeBf16", NULL, encode_bf16_raw, NULL, NULL, NULL, napi_default, NULL},
  };
  Scratch *s = (Scratch *)calloc(1, sizeof(Scratch));
  if (s == NULL || napi_set_instance_data(env, s, free_scratch, NULL) != napi_ok ||
      napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

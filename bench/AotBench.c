/* nnc_aot_bench: one-sample prediction through an object from `nnc compile
 * -o` (examples/fashion_mlp.nn, prefix fashion_mlp, built by CMake), the way
 * a program shipping a model without the compiler runs it. Prints one JSON
 * object:
 *   predict_us: fashion_mlp_forward on one sample, median of 100 * runs
 *               single calls (after 100 warm-up calls).
 *
 *   nnc_aot_bench [--runs R]
 * Plain C: it must build without the C++ library around it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fashion_mlp.h"

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_doubles(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static float* aligned_floats(int64_t count) {
  size_t bytes = ((size_t)count * sizeof(float) + 63) / 64 * 64;
  return aligned_alloc(64, bytes);
}

int main(int argc, char** argv) {
  int runs = 11;
  if (argc == 3 && strcmp(argv[1], "--runs") == 0) runs = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
  else if (argc != 1) {
    fputs("usage: nnc_aot_bench [--runs R]\n", stderr);
    return 2;
  }
  /* Parameters and input: fixed pseudo-random values (timing only), on
   * 64-byte boundaries as nnc's own tensors are (docs/embedding.md). */
  float* parameters = aligned_floats(FASHION_MLP_PARAMETER_FLOATS);
  float* input = aligned_floats(FASHION_MLP_INPUTS);
  float output[FASHION_MLP_OUTPUTS];
  unsigned state = 1;
  for (int64_t i = 0; i < FASHION_MLP_PARAMETER_FLOATS; ++i) {
    state = state * 1664525u + 1013904223u;
    parameters[i] = ((float)(state >> 8) / 16777216.0f - 0.5f) * 0.1f;
  }
  for (int i = 0; i < FASHION_MLP_INPUTS; ++i) input[i] = (float)(i % 256) / 255.0f;
  float* workspace = aligned_floats(fashion_mlp_workspace_floats(1));
  int calls = 100 * runs;
  double* latencies = malloc(sizeof(double) * (size_t)calls);
  for (int i = 0; i < 100 + calls; ++i) {
    double start = now_seconds();
    fashion_mlp_forward(parameters, input, 1, output, workspace);
    if (i >= 100) latencies[i - 100] = now_seconds() - start;
  }
  qsort(latencies, (size_t)calls, sizeof(double), compare_doubles);
  double median = calls % 2 ? latencies[calls / 2] : (latencies[calls / 2 - 1] + latencies[calls / 2]) / 2;
  printf("{\"model\": \"fashion_mlp\", \"runs\": %d, \"predict_us\": %.3f, \"output0\": %.6g}\n", runs, median * 1e6,
         (double)output[0]);
  free(latencies);
  free(workspace);
  free(input);
  free(parameters);
  return 0;
}

/* Runs an object from `nnc compile -o` (prefix `model`) on a CSV file of
 * feature columns and a label (with -DREAL_TARGETS: MODEL_OUTPUTS real
 * targets, after a header line): prints the outputs of every row, or with
 * `backward` the loss and every parameter's gradient. C and C++ alike. */
#include <stdio.h>
#include <stdlib.h>

#include MODEL_HEADER

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  FILE* file = fopen(argv[1], "r");
  if (!file) return 2;
  int64_t capacity = 1024, rows = 0;
  float* input = (float*)malloc(sizeof(float) * capacity * MODEL_INPUTS);
#ifdef REAL_TARGETS
  float* labels = (float*)malloc(sizeof(float) * capacity * MODEL_OUTPUTS);
  if (fscanf(file, "%*[^\n]\n") != 0) return 2;
#else
  int32_t* labels = (int32_t*)malloc(sizeof(int32_t) * capacity);
#endif
  for (;;) {
    int64_t i;
    for (i = 0; i < MODEL_INPUTS; ++i)
      if (fscanf(file, "%f,", &input[rows * MODEL_INPUTS + i]) != 1) break;
    if (i < MODEL_INPUTS) break;
#ifdef REAL_TARGETS
    for (i = 0; i < MODEL_OUTPUTS; ++i)
      if (fscanf(file, i ? ",%f" : "%f", &labels[rows * MODEL_OUTPUTS + i]) != 1) break;
    if (i < MODEL_OUTPUTS || ++rows == capacity) break;
#else
    if (fscanf(file, "%d", &labels[rows]) != 1 || ++rows == capacity) break;
#endif
  }
  fclose(file);
  float* workspace = (float*)malloc(sizeof(float) * model_workspace_floats(rows));
  if (argc > 2) {
    float* gradients = (float*)malloc(sizeof(float) * MODEL_PARAMETER_FLOATS);
    printf("loss %.9g\n", model_backward(model_trained_parameters, input, labels, rows, gradients, workspace));
    for (int p = 0; p < MODEL_PARAMETER_COUNT; ++p) {
      printf("%s", model_parameters[p].name);
      for (int64_t i = 0; i < model_parameters[p].count; ++i) printf(" %.9g", gradients[model_parameters[p].offset + i]);
      printf("\n");
    }
    free(gradients);
  } else {
    float* output = (float*)malloc(sizeof(float) * rows * MODEL_OUTPUTS);
    model_forward(model_trained_parameters, input, rows, output, workspace);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < MODEL_OUTPUTS; ++c) printf(c ? " %.9g" : "%.9g", output[r * MODEL_OUTPUTS + c]);
      printf("\n");
    }
    free(output);
  }
  free(workspace);
  free(input);
  free(labels);
  return 0;
}

#include "runtime/CApi.h"

#include <algorithm>
#include <span>

#include "runtime/BatchNorm.h"
#include "runtime/Conv2d.h"
#include "runtime/Dropout.h"
#include "runtime/Embedding.h"
#include "runtime/FixedOrderGemm.h"
#include "runtime/Gemm.h"
#include "runtime/LayerNorm.h"
#include "runtime/Loss.h"
#include "runtime/Pool2d.h"
#include "runtime/Softmax.h"

using nnc::runtime::Transpose;

extern "C" {

void nnc_rt_matmul(const float* a, int64_t a_rows, int64_t a_cols, int32_t transpose_a, const float* b,
                   int64_t b_rows, int64_t b_cols, int32_t transpose_b, float* c) {
  int64_t rows = transpose_a ? a_cols : a_rows, cols = transpose_b ? b_rows : b_cols;
  nnc::runtime::gemm({a, a_rows, a_cols}, transpose_a ? Transpose::Yes : Transpose::No, {b, b_rows, b_cols},
                     transpose_b ? Transpose::Yes : Transpose::No, c, rows, cols);
}

void nnc_rt_matmul_inference(const float* a, int64_t a_rows, int64_t a_cols, int32_t transpose_a, const float* b,
                             int64_t b_rows, int64_t b_cols, int32_t transpose_b, float* c) {
  if (transpose_a || !transpose_b) {
    nnc_rt_matmul(a, a_rows, a_cols, transpose_a, b, b_rows, b_cols, transpose_b, c);
    return;
  }
  nnc::runtime::gemmFixedOrder(a, b, c, a_rows, b_rows, a_cols);
}

void nnc_rt_add_bias(const float* in, const float* bias, int64_t rows, int64_t cols, float* out) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = in[r * cols + c] + bias[c];
}

void nnc_rt_column_sum(const float* in, int64_t rows, int64_t cols, float* out) {
  for (int64_t c = 0; c < cols; ++c) out[c] = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[c] += in[r * cols + c];
}

void nnc_rt_total(const float* in, int64_t count, float* out) {
  double total = 0;
  for (int64_t i = 0; i < count; ++i) total += in[i];
  out[0] = static_cast<float>(total);
}

void nnc_rt_layernorm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t cols, double eps,
                      float* y) {
  nnc::runtime::layerNormRows(x, gamma, beta, rows, cols, eps, y);
}

void nnc_rt_layernorm_backward(const float* x, const float* gamma, const float* dy, int64_t rows, int64_t cols,
                               double eps, float* dx, float* dgamma, float* dbeta) {
  nnc::runtime::layerNormRowsBackward(x, gamma, dy, rows, cols, eps, dx, dgamma, dbeta);
}

void nnc_rt_batchnorm_training(const float* x, const float* gamma, const float* beta, int64_t batch, int64_t channels,
                               int64_t positions, double eps, double momentum, float* running_mean,
                               float* running_var, float* y) {
  nnc::runtime::batchNormTraining(x, gamma, beta, {batch, channels, positions}, eps, momentum, running_mean,
                                  running_var, y);
}

void nnc_rt_batchnorm_inference(const float* x, const float* gamma, const float* beta, const float* running_mean,
                                const float* running_var, int64_t batch, int64_t channels, int64_t positions,
                                double eps, float* y) {
  nnc::runtime::batchNormInference(x, gamma, beta, running_mean, running_var, {batch, channels, positions}, eps, y);
}

void nnc_rt_batchnorm_backward(const float* x, const float* gamma, const float* dy, int64_t batch, int64_t channels,
                               int64_t positions, double eps, float* dx, float* dgamma, float* dbeta) {
  nnc::runtime::batchNormBackward(x, gamma, dy, {batch, channels, positions}, eps, dx, dgamma, dbeta);
}

void nnc_rt_dropout(const float* x, int64_t count, double p, uint64_t seed, uint64_t step, uint64_t stream, float* y) {
  nnc::runtime::dropoutForward(x, count, p, nnc::runtime::dropoutKey(seed, step, stream), y);
}

void nnc_rt_embedding(const float* x, const float* w, int64_t rows, int64_t indices, int64_t vocabulary,
                      int64_t dimension, float* y) {
  nnc::runtime::embeddingForward(x, w, {rows, indices, vocabulary, dimension}, y);
}

void nnc_rt_embedding_backward(const float* x, const float* dy, int64_t rows, int64_t indices, int64_t vocabulary,
                               int64_t dimension, float* dw) {
  nnc::runtime::embeddingBackward(x, dy, {rows, indices, vocabulary, dimension}, dw);
}

void nnc_rt_conv2d(const float* x, const float* w, const float* b, int64_t batch, int64_t channels, int64_t height,
                   int64_t width, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
                   int64_t dilation, int64_t groups, float* y) {
  nnc::runtime::conv2dForward(
      x, w, b, {batch, channels, height, width, out_channels, kernel, stride, padding, dilation, groups}, y);
}

void nnc_rt_conv2d_backward_input(const float* dy, const float* w, int64_t batch, int64_t channels, int64_t height,
                                  int64_t width, int64_t out_channels, int64_t kernel, int64_t stride,
                                  int64_t padding, int64_t dilation, int64_t groups, float* dx) {
  nnc::runtime::conv2dBackwardInput(
      dy, w, {batch, channels, height, width, out_channels, kernel, stride, padding, dilation, groups}, dx);
}

void nnc_rt_conv2d_backward_weights(const float* x, const float* dy, int64_t batch, int64_t channels, int64_t height,
                                    int64_t width, int64_t out_channels, int64_t kernel, int64_t stride,
                                    int64_t padding, int64_t dilation, int64_t groups, float* dw, float* db) {
  nnc::runtime::conv2dBackwardWeights(
      x, dy, {batch, channels, height, width, out_channels, kernel, stride, padding, dilation, groups}, dw, db);
}

void nnc_rt_max_pool2d(const float* x, int64_t batch, int64_t channels, int64_t height, int64_t width, int64_t kernel,
                       int64_t stride, int64_t padding, float* y) {
  nnc::runtime::maxPool2dForward(x, {batch, channels, height, width, kernel, stride, padding}, y);
}

void nnc_rt_max_pool2d_backward(const float* x, const float* dy, int64_t batch, int64_t channels, int64_t height,
                                int64_t width, int64_t kernel, int64_t stride, int64_t padding, float* dx) {
  nnc::runtime::maxPool2dBackward(x, dy, {batch, channels, height, width, kernel, stride, padding}, dx);
}

void nnc_rt_avg_pool2d(const float* x, int64_t batch, int64_t channels, int64_t height, int64_t width, int64_t kernel,
                       int64_t stride, int64_t padding, float* y) {
  nnc::runtime::avgPool2dForward(x, {batch, channels, height, width, kernel, stride, padding}, y);
}

void nnc_rt_avg_pool2d_backward(const float* dy, int64_t batch, int64_t channels, int64_t height, int64_t width,
                                int64_t kernel, int64_t stride, int64_t padding, float* dx) {
  nnc::runtime::avgPool2dBackward(dy, {batch, channels, height, width, kernel, stride, padding}, dx);
}

float nnc_rt_mean(const float* in, int64_t count) {
  if (count == 0) return 0;  // an empty batch has no loss (as lossAndGradient)
  double total = 0;
  for (int64_t i = 0; i < count; ++i) total += in[i];
  return static_cast<float>(total / static_cast<double>(count));
}

void nnc_rt_fill_mean_grad(int64_t count, float* out) {
  float share = static_cast<float>(1.0 / static_cast<double>(count));
  for (int64_t i = 0; i < count; ++i) out[i] = share;
}

void nnc_rt_copy_columns(const float* from, int64_t from_cols, int64_t from_first, int64_t rows, int64_t cols,
                         float* to, int64_t to_cols, int64_t to_first) {
  for (int64_t r = 0; r < rows; ++r)
    std::copy_n(from + r * from_cols + from_first, cols, to + r * to_cols + to_first);
}

void nnc_rt_softmax(const float* z, int64_t rows, int64_t cols, float* s) {
  nnc::runtime::softmaxRows(z, rows, cols, s);
}

void nnc_rt_softmax_backward(const float* s, const float* dy, int64_t rows, int64_t cols, float* dz) {
  nnc::runtime::softmaxRowsBackward(s, dy, rows, cols, dz);
}

float nnc_rt_loss(int32_t kind, const float* prediction, int64_t rows, int64_t cols, const int32_t* labels,
                  float* gradient) {
  return static_cast<float>(nnc::runtime::lossAndGradient(static_cast<nnc::runtime::Loss>(kind), prediction, rows,
                                                          cols, std::span(labels, static_cast<size_t>(rows)),
                                                          gradient));
}

}  // extern "C"

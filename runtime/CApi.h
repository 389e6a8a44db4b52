/* The runtime's C interface: what an object file from `nnc compile -o`
 * calls for everything but its elementwise loops (matrix products, softmax,
 * losses). Plain C so that the generated code, and C programs, can call it;
 * row-major float arrays the caller owns (any alignment; 64 bytes is fastest). */
#ifndef NNC_RUNTIME_CAPI_H
#define NNC_RUNTIME_CAPI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* c = op(a) * op(b); a is [a_rows, a_cols] and b [b_rows, b_cols] before
 * op(), which transposes when its flag is non-zero. */
void nnc_rt_matmul(const float* a, int64_t a_rows, int64_t a_cols, int32_t transpose_a, const float* b,
                   int64_t b_rows, int64_t b_cols, int32_t transpose_b, float* c);
/* The same at inference: a * b^T (a dense layer's input by its [out, in]
 * weights) in a fixed order of operations per element, so that a sample's
 * row is the same bits in any batch, on any thread count and CPU
 * (runtime/FixedOrderGemm.h); other transpositions as nnc_rt_matmul. */
void nnc_rt_matmul_inference(const float* a, int64_t a_rows, int64_t a_cols, int32_t transpose_a, const float* b,
                             int64_t b_rows, int64_t b_cols, int32_t transpose_b, float* c);
/* out[r, c] = in[r, c] + bias[c] */
void nnc_rt_add_bias(const float* in, const float* bias, int64_t rows, int64_t cols, float* out);
/* out[c] = sum over rows of in[r, c] */
void nnc_rt_column_sum(const float* in, int64_t rows, int64_t cols, float* out);
/* out[0] = sum of in[0 .. count) (a per-layer parameter's gradient) */
void nnc_rt_total(const float* in, int64_t count, float* out);
/* Each row of x [rows, cols] normalised (mean 0, variance 1, eps added),
 * scaled by gamma and shifted by beta (torch.nn.LayerNorm); and its
 * gradient: dx, and dgamma and dbeta summed over the rows. */
void nnc_rt_layernorm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t cols, double eps,
                      float* y);
void nnc_rt_layernorm_backward(const float* x, const float* gamma, const float* dy, int64_t rows, int64_t cols,
                               double eps, float* dx, float* dgamma, float* dbeta);
/* Batch normalisation per channel (runtime/BatchNorm.h): x is [batch,
 * channels, positions] (positions 1 for features, H * W for images). In
 * training the batch's statistics normalise and, where running_mean and
 * running_var are not null, the running ones are updated; at inference the
 * running ones normalise. */
void nnc_rt_batchnorm_training(const float* x, const float* gamma, const float* beta, int64_t batch, int64_t channels,
                               int64_t positions, double eps, double momentum, float* running_mean,
                               float* running_var, float* y);
void nnc_rt_batchnorm_inference(const float* x, const float* gamma, const float* beta, const float* running_mean,
                                const float* running_var, int64_t batch, int64_t channels, int64_t positions,
                                double eps, float* y);
void nnc_rt_batchnorm_backward(const float* x, const float* gamma, const float* dy, int64_t batch, int64_t channels,
                               int64_t positions, double eps, float* dx, float* dgamma, float* dbeta);
/* Dropout's training step over count elements (runtime/Dropout.h): each
 * kept with probability 1 - p and scaled by 1 / (1 - p), or zeroed, by a
 * hash of (seed, step, stream, element); its gradient uses the same mask. */
void nnc_rt_dropout(const float* x, int64_t count, double p, uint64_t seed, uint64_t step, uint64_t stream, float* y);
/* Embedding lookup (runtime/Embedding.h): x [rows, indices] of whole
 * numbers in [0, vocabulary), w [vocabulary, dimension], y [rows, indices *
 * dimension]; and the table's gradient dw (overwritten). */
void nnc_rt_embedding(const float* x, const float* w, int64_t rows, int64_t indices, int64_t vocabulary,
                      int64_t dimension, float* y);
void nnc_rt_embedding_backward(const float* x, const float* dy, int64_t rows, int64_t indices, int64_t vocabulary,
                               int64_t dimension, float* dw);
/* Convolutions and pools over NCHW images (runtime/Conv2d.h, Pool2d.h):
 * x is [batch, channels, height, width]; a convolution's w is
 * [out_channels, channels / groups, kernel, kernel] and b [out_channels]. */
void nnc_rt_conv2d(const float* x, const float* w, const float* b, int64_t batch, int64_t channels, int64_t height,
                   int64_t width, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
                   int64_t dilation, int64_t groups, float* y);
void nnc_rt_conv2d_backward_input(const float* dy, const float* w, int64_t batch, int64_t channels, int64_t height,
                                  int64_t width, int64_t out_channels, int64_t kernel, int64_t stride,
                                  int64_t padding, int64_t dilation, int64_t groups, float* dx);
void nnc_rt_conv2d_backward_weights(const float* x, const float* dy, int64_t batch, int64_t channels, int64_t height,
                                    int64_t width, int64_t out_channels, int64_t kernel, int64_t stride,
                                    int64_t padding, int64_t dilation, int64_t groups, float* dw, float* db);
void nnc_rt_max_pool2d(const float* x, int64_t batch, int64_t channels, int64_t height, int64_t width, int64_t kernel,
                       int64_t stride, int64_t padding, float* y);
void nnc_rt_max_pool2d_backward(const float* x, const float* dy, int64_t batch, int64_t channels, int64_t height,
                                int64_t width, int64_t kernel, int64_t stride, int64_t padding, float* dx);
void nnc_rt_avg_pool2d(const float* x, int64_t batch, int64_t channels, int64_t height, int64_t width, int64_t kernel,
                       int64_t stride, int64_t padding, float* y);
void nnc_rt_avg_pool2d_backward(const float* dy, int64_t batch, int64_t channels, int64_t height, int64_t width,
                                int64_t kernel, int64_t stride, int64_t padding, float* dx);
/* The mean of in[0 .. count) (0 when count is 0): an elementwise loss's
 * reduction. */
float nnc_rt_mean(const float* in, int64_t count);
/* out[i] = 1 / count for i < count: the mean's gradient. */
void nnc_rt_fill_mean_grad(int64_t count, float* out);
/* to[r, to_first + c] = from[r, from_first + c] for c < cols: a column range
 * of a [rows, from_cols] array into one of a [rows, to_cols] array (concat,
 * slice and a slice's gradient). */
void nnc_rt_copy_columns(const float* from, int64_t from_cols, int64_t from_first, int64_t rows, int64_t cols,
                         float* to, int64_t to_cols, int64_t to_first);
void nnc_rt_softmax(const float* z, int64_t rows, int64_t cols, float* s);
void nnc_rt_softmax_backward(const float* s, const float* dy, int64_t rows, int64_t cols, float* dz);
/* The mean loss over the rows; with a gradient array, also d loss / d
 * prediction. kind: 0 mse, 1 bce, 2 cross_entropy, 3 bce_with_logits. */
float nnc_rt_loss(int32_t kind, const float* prediction, int64_t rows, int64_t cols, const int32_t* labels,
                  float* gradient);

#ifdef __cplusplus
}
#endif

#endif

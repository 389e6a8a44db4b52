#pragma once
// 2-d convolution over NCHW images, as torch.nn.Conv2d (square kernels;
// stride, zero padding, dilation and groups), and its gradients. Each
// sample's taps are laid out as a matrix (im2col) and multiplied by the
// weights in OpenBLAS's SGEMM, a group at a time.
//
// Samples run in parallel on nnc's pool, each product on one thread; the
// weight gradient sums its samples in fixed pieces, in order. So the bits
// depend on neither the thread count nor the order threads finish.
#include <cstdint>

namespace nnc::runtime {

struct Conv2dShape {
  int64_t batch = 0;
  int64_t channels = 0, height = 0, width = 0;  // the input's C, H, W
  int64_t outChannels = 0, kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;

  int64_t outHeight() const { return (height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1; }
  int64_t outWidth() const { return (width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1; }
};

// y [N, O, Ho, Wo] = conv(x [N, C, H, W], w [O, C/groups, k, k]) + b [O]
void conv2dForward(const float* x, const float* w, const float* b, const Conv2dShape& shape, float* y);
// dx [N, C, H, W] from dy [N, O, Ho, Wo] and w (overwritten)
void conv2dBackwardInput(const float* dy, const float* w, const Conv2dShape& shape, float* dx);
// dw [O, C/groups, k, k] and db [O] summed over the batch (overwritten)
void conv2dBackwardWeights(const float* x, const float* dy, const Conv2dShape& shape, float* dw, float* db);

}  // namespace nnc::runtime

#pragma once
// 2-d max and average pooling over NCHW images, as torch.nn.MaxPool2d and
// AvgPool2d (square windows, zero padding, ceil_mode off; the average
// counts the padding, as count_include_pad does by default), and their
// gradients. The max pool's gradient recomputes each window's maximum from
// the saved input instead of keeping indices: it goes to the window's first
// maximum, and a NaN counts as the maximum (as torch's).
#include <cstdint>

namespace nnc::runtime {

struct Pool2dShape {
  int64_t batch = 0, channels = 0, height = 0, width = 0;
  int64_t kernel = 1, stride = 1, padding = 0;

  int64_t outHeight() const { return (height + 2 * padding - kernel) / stride + 1; }
  int64_t outWidth() const { return (width + 2 * padding - kernel) / stride + 1; }
};

void maxPool2dForward(const float* x, const Pool2dShape& shape, float* y);
// dx (overwritten) from the saved x and dy
void maxPool2dBackward(const float* x, const float* dy, const Pool2dShape& shape, float* dx);
void avgPool2dForward(const float* x, const Pool2dShape& shape, float* y);
// dx (overwritten) from dy
void avgPool2dBackward(const float* dy, const Pool2dShape& shape, float* dx);

}  // namespace nnc::runtime

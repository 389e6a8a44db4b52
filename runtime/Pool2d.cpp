#include "runtime/Pool2d.h"

#include <algorithm>
#include <cmath>

#include "runtime/Parallel.h"

namespace nnc::runtime {

namespace {

// f(output index, first input row, end row, first column, end column) for
// every window of every image plane, the window clipped to the image;
// planes (a sample's channel) run in parallel, each on one thread.
template <class F>
void forEachWindow(const Pool2dShape& s, F f) {
  const int64_t outH = s.outHeight(), outW = s.outWidth(), planes = s.batch * s.channels;
  const int64_t pieces = std::clamp<int64_t>(planes, 1, 4 * coreCount());
  parallelFor(pieces, [&](int64_t piece) {
    for (int64_t plane = planes * piece / pieces; plane < planes * (piece + 1) / pieces; ++plane)
      for (int64_t oh = 0; oh < outH; ++oh) {
        const int64_t h0 = oh * s.stride - s.padding;
        const int64_t top = std::max<int64_t>(h0, 0), bottom = std::min(h0 + s.kernel, s.height);
        for (int64_t ow = 0; ow < outW; ++ow) {
          const int64_t w0 = ow * s.stride - s.padding;
          const int64_t left = std::max<int64_t>(w0, 0), right = std::min(w0 + s.kernel, s.width);
          f(plane, (plane * outH + oh) * outW + ow, top, bottom, left, right);
        }
      }
  });
}

// The index in x of the first maximum of a window (NaN wins, as in torch).
int64_t firstMaximum(const float* plane, int64_t width, int64_t top, int64_t bottom, int64_t left, int64_t right) {
  int64_t best = top * width + left;
  for (int64_t h = top; h < bottom; ++h)
    for (int64_t w = left; w < right; ++w) {
      const int64_t at = h * width + w;
      if (plane[at] > plane[best] || std::isnan(plane[at])) {
        best = at;
        if (std::isnan(plane[at])) return best;
      }
    }
  return best;
}

}  // namespace

void maxPool2dForward(const float* x, const Pool2dShape& s, float* y) {
  const int64_t planeSize = s.height * s.width;
  forEachWindow(s, [&](int64_t plane, int64_t out, int64_t top, int64_t bottom, int64_t left, int64_t right) {
    const float* in = x + plane * planeSize;
    y[out] = in[firstMaximum(in, s.width, top, bottom, left, right)];
  });
}

void maxPool2dBackward(const float* x, const float* dy, const Pool2dShape& s, float* dx) {
  const int64_t planeSize = s.height * s.width;
  std::fill(dx, dx + s.batch * s.channels * planeSize, 0.0f);
  // Windows of one plane may overlap (stride < kernel), so they add; a
  // plane is one thread's.
  forEachWindow(s, [&](int64_t plane, int64_t out, int64_t top, int64_t bottom, int64_t left, int64_t right) {
    const float* in = x + plane * planeSize;
    dx[plane * planeSize + firstMaximum(in, s.width, top, bottom, left, right)] += dy[out];
  });
}

void avgPool2dForward(const float* x, const Pool2dShape& s, float* y) {
  const int64_t planeSize = s.height * s.width;
  const double area = static_cast<double>(s.kernel * s.kernel);  // the padding counts
  forEachWindow(s, [&](int64_t plane, int64_t out, int64_t top, int64_t bottom, int64_t left, int64_t right) {
    const float* in = x + plane * planeSize;
    double total = 0;
    for (int64_t h = top; h < bottom; ++h)
      for (int64_t w = left; w < right; ++w) total += in[h * s.width + w];
    y[out] = static_cast<float>(total / area);
  });
}

void avgPool2dBackward(const float* dy, const Pool2dShape& s, float* dx) {
  const int64_t planeSize = s.height * s.width;
  const float share = 1.0f / static_cast<float>(s.kernel * s.kernel);
  std::fill(dx, dx + s.batch * s.channels * planeSize, 0.0f);
  forEachWindow(s, [&](int64_t plane, int64_t out, int64_t top, int64_t bottom, int64_t left, int64_t right) {
    float* in = dx + plane * planeSize;
    for (int64_t h = top; h < bottom; ++h)
      for (int64_t w = left; w < right; ++w) in[h * s.width + w] += dy[out] * share;
  });
}

}  // namespace nnc::runtime

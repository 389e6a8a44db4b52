#include "runtime/Pool2d.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/Parallel.h"

namespace nnc::runtime {

namespace {

// One window: the input rows [top, bottom) and columns [left, right) it
// covers, clipped to the image.
struct Window {
  int64_t top, bottom, left, right;
};

// f(plane) for every image plane (a sample's channel), in parallel, each
// plane on one thread.
template <class F>
void forEachPlane(const Pool2dShape& s, F f) {
  const int64_t planes = s.batch * s.channels;
  const int64_t pieces = std::clamp<int64_t>(planes, 1, 4 * coreCount());
  parallelFor(pieces, [&](int64_t piece) {
    for (int64_t plane = planes * piece / pieces; plane < planes * (piece + 1) / pieces; ++plane) f(plane);
  });
}

// f(plane, output index, window) for every window of every image plane.
// Planes run in parallel, so windows of one plane never race. `K` is the
// kernel's size where it is known when compiling (2 or 3: the loops over a
// window unroll), else 0.
template <int K, class F>
void forEachWindow(const Pool2dShape& s, F f) {
  const int64_t k = K ? K : s.kernel;
  const int64_t outH = s.outHeight(), outW = s.outWidth();
  forEachPlane(s, [&](int64_t plane) {
    for (int64_t oh = 0; oh < outH; ++oh) {
      if (s.padding == 0) {  // every window lies inside the image: nothing to clip
        const int64_t top = oh * s.stride;
        int64_t out = (plane * outH + oh) * outW;
        for (int64_t ow = 0, left = 0; ow < outW; ++ow, ++out, left += s.stride)
          f(plane, out, Window{top, top + k, left, left + k});
        continue;
      }
      const int64_t h0 = oh * s.stride - s.padding;
      const int64_t top = std::max<int64_t>(h0, 0), bottom = std::min(h0 + k, s.height);
      int64_t out = (plane * outH + oh) * outW;
      for (int64_t ow = 0; ow < outW; ++ow, ++out) {
        const int64_t w0 = ow * s.stride - s.padding;
        f(plane, out, Window{top, bottom, std::max<int64_t>(w0, 0), std::min(w0 + k, s.width)});
      }
    }
  });
}

// Runs forEachWindow with the kernel's size fixed where it is 2 or 3.
// f(plane, output index, window, std::integral_constant<int, K>{}).
template <class F>
void forEachWindowOf(const Pool2dShape& s, F f) {
  auto with = [&](auto kernel) {
    forEachWindow<decltype(kernel)::value>(s, [&](int64_t plane, int64_t out, Window w) { f(plane, out, w, kernel); });
  };
  if (s.kernel == 2) with(std::integral_constant<int, 2>{});
  else if (s.kernel == 3) with(std::integral_constant<int, 3>{});
  else with(std::integral_constant<int, 0>{});
}

// The index in `plane` of the first maximum of a window; a NaN wins (the
// first NaN), as in torch. Branch-free over the window (which element wins
// is data, so a branch per element would be mispredicted often); a window
// holding a NaN is looked at again.
template <int K>
inline int64_t firstMaximum(const float* plane, int64_t width, Window w) {
  if (K && w.bottom - w.top == K && w.right - w.left == K) {  // a whole window: loops of K unroll
    int64_t best = w.top * width + w.left;
    float value = plane[best];
    bool nan = false;
    for (int64_t h = 0; h < K; ++h)
      for (int64_t c = 0; c < K; ++c) {
        const int64_t at = (w.top + h) * width + w.left + c;
        const bool larger = plane[at] > value;
        best = larger ? at : best;
        value = larger ? plane[at] : value;
        nan |= plane[at] != plane[at];
      }
    if (!nan) return best;
  }
  int64_t best = w.top * width + w.left;
  float value = plane[best];
  bool nan = false;
  for (int64_t h = w.top; h < w.bottom; ++h)
    for (int64_t c = w.left; c < w.right; ++c) {
      const float v = plane[h * width + c];
      const bool larger = v > value;
      best = larger ? h * width + c : best;
      value = larger ? v : value;
      nan |= v != v;
    }
  if (!nan) return best;
  for (int64_t h = w.top; h < w.bottom; ++h)
    for (int64_t c = w.left; c < w.right; ++c)
      if (plane[h * width + c] != plane[h * width + c]) return h * width + c;
  return best;
}

// A window's maximum (NaN if it holds one).
template <int K>
inline float windowMaximum(const float* plane, int64_t width, Window w) {
  if (K && w.bottom - w.top == K && w.right - w.left == K) {  // a whole window: loops of K unroll
    const float* corner = plane + w.top * width + w.left;
    float value = corner[0];
    bool nan = false;
    for (int64_t h = 0; h < K; ++h)
      for (int64_t c = 0; c < K; ++c) {
        value = std::max(value, corner[h * width + c]);
        nan |= corner[h * width + c] != corner[h * width + c];
      }
    return nan ? std::numeric_limits<float>::quiet_NaN() : value;
  }
  float value = plane[w.top * width + w.left];
  bool nan = false;
  for (int64_t h = w.top; h < w.bottom; ++h)
    for (int64_t c = w.left; c < w.right; ++c) {
      const float v = plane[h * width + c];
      value = std::max(value, v);
      nan |= v != v;
    }
  return nan ? std::numeric_limits<float>::quiet_NaN() : value;
}

}  // namespace

void maxPool2dForward(const float* x, const Pool2dShape& s, float* y) {
  const int64_t planeSize = s.height * s.width;
  forEachWindowOf(s, [&](int64_t plane, int64_t out, Window w, auto kernel) {
    y[out] = windowMaximum<decltype(kernel)::value>(x + plane * planeSize, s.width, w);
  });
}

namespace {

// The max pool's gradient where the windows tile the image (stride equal
// to the kernel, no padding: max_pool2d(x, 2)), so each input element lies
// in at most one window: each window writes its own K x K block of dx (dy
// at its first maximum, 0 elsewhere), and only the rows and columns past
// the last window are zeroed apart. Each plane is written while it is in
// cache, where zeroing the whole of dx first and adding into it took 5x
// the forward pass's time.
template <int K>
void maxPool2dBackwardTiled(const float* x, const float* dy, const Pool2dShape& s, float* dx) {
  const int64_t k = K ? K : s.kernel, planeSize = s.height * s.width;
  const int64_t outH = s.outHeight(), outW = s.outWidth();
  forEachPlane(s, [&](int64_t plane) {
    const float* in = x + plane * planeSize;
    const float* gradOut = dy + plane * outH * outW;
    float* grad = dx + plane * planeSize;
    for (int64_t oh = 0; oh < outH; ++oh) {
      const int64_t top = oh * k;
      std::fill(grad + top * s.width, grad + (top + k) * s.width, 0.0f);  // the window row, and past its last window
      for (int64_t ow = 0; ow < outW; ++ow) {
        const Window w{top, top + k, ow * k, ow * k + k};
        grad[firstMaximum<K>(in, s.width, w)] = 0.0f + gradOut[oh * outW + ow];  // as 0 + dy below
      }
    }
    std::fill(grad + outH * k * s.width, grad + planeSize, 0.0f);  // rows past the last window
  });
}

// The same for 2x2 windows with stride 2 (the usual max_pool2d(x, 2)),
// without branches: which of a window's four elements is its first maximum
// is data (about a coin toss per comparison on a ReLU's output), and a
// mispredicted branch per window cost more than the rest of its work. Two
// pairs, each keeping its first element on a tie, then the second pair
// only if strictly larger: the first maximum in row-major order; a NaN
// then takes its place (the first NaN).
void maxPool2dBackward2x2(const float* x, const float* dy, const Pool2dShape& s, float* dx) {
  const int64_t planeSize = s.height * s.width, outH = s.outHeight(), outW = s.outWidth(), width = s.width;
  forEachPlane(s, [&](int64_t plane) {
    const float* in = x + plane * planeSize;
    float* grad = dx + plane * planeSize;
    for (int64_t oh = 0; oh < outH; ++oh) {
      const float* row0 = in + 2 * oh * width;
      const float* row1 = row0 + width;
      float* grad0 = grad + 2 * oh * width;
      float* grad1 = grad0 + width;
      const float* g = dy + (plane * outH + oh) * outW;
      for (int64_t ow = 0; ow < outW; ++ow) {
        const float a = row0[2 * ow], b = row0[2 * ow + 1], c = row1[2 * ow], d = row1[2 * ow + 1];
        // Comparisons as 0/1 integers and selections as arithmetic and
        // bit masks: the compiler turns ?: on them back into branches.
        const int bFirst = b > a, dFirst = d > c;
        const int bottomWins = (dFirst ? d : c) > (bFirst ? b : a);
        int winner = bFirst + bottomWins * (2 + dFirst - bFirst);
        const int notNanA = a == a, notNanB = b == b, notNanC = c == c, notNanD = d == d;
        const int anyNan = 1 - (notNanA & notNanB & notNanC & notNanD);
        const int firstNan = notNanA * (1 + notNanB * (1 + notNanC));
        winner += anyNan * (firstNan - winner);
        const uint32_t share = std::bit_cast<uint32_t>(0.0f + g[ow]);  // as the general path's 0 + dy
        grad0[2 * ow] = std::bit_cast<float>(share & -static_cast<uint32_t>(winner == 0));
        grad0[2 * ow + 1] = std::bit_cast<float>(share & -static_cast<uint32_t>(winner == 1));
        grad1[2 * ow] = std::bit_cast<float>(share & -static_cast<uint32_t>(winner == 2));
        grad1[2 * ow + 1] = std::bit_cast<float>(share & -static_cast<uint32_t>(winner == 3));
      }
      if (width > 2 * outW) grad0[2 * outW] = grad1[2 * outW] = 0.0f;  // an odd width's last column
    }
    std::fill(grad + 2 * outH * width, grad + planeSize, 0.0f);  // an odd height's last row
  });
}

}  // namespace

void maxPool2dBackward(const float* x, const float* dy, const Pool2dShape& s, float* dx) {
  const int64_t planeSize = s.height * s.width;
  if (s.stride == s.kernel && s.padding == 0) {
    if (s.kernel == 2) return maxPool2dBackward2x2(x, dy, s, dx);
    if (s.kernel == 3) return maxPool2dBackwardTiled<3>(x, dy, s, dx);
    return maxPool2dBackwardTiled<0>(x, dy, s, dx);
  }
  std::fill(dx, dx + s.batch * s.channels * planeSize, 0.0f);
  // Windows of one plane may overlap (stride < kernel), so they add.
  forEachWindowOf(s, [&](int64_t plane, int64_t out, Window w, auto kernel) {
    dx[plane * planeSize + firstMaximum<decltype(kernel)::value>(x + plane * planeSize, s.width, w)] += dy[out];
  });
}

void avgPool2dForward(const float* x, const Pool2dShape& s, float* y) {
  const int64_t planeSize = s.height * s.width;
  const double area = static_cast<double>(s.kernel * s.kernel);  // the padding counts
  forEachWindowOf(s, [&](int64_t plane, int64_t out, Window w, auto) {
    const float* in = x + plane * planeSize;
    double total = 0;
    for (int64_t h = w.top; h < w.bottom; ++h)
      for (int64_t c = w.left; c < w.right; ++c) total += in[h * s.width + c];
    y[out] = static_cast<float>(total / area);
  });
}

void avgPool2dBackward(const float* dy, const Pool2dShape& s, float* dx) {
  const int64_t planeSize = s.height * s.width;
  const float share = 1.0f / static_cast<float>(s.kernel * s.kernel);
  std::fill(dx, dx + s.batch * s.channels * planeSize, 0.0f);
  forEachWindowOf(s, [&](int64_t plane, int64_t out, Window w, auto) {
    float* in = dx + plane * planeSize;
    for (int64_t h = w.top; h < w.bottom; ++h)
      for (int64_t c = w.left; c < w.right; ++c) in[h * s.width + c] += dy[out] * share;
  });
}

}  // namespace nnc::runtime

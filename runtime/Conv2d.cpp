#include "runtime/Conv2d.h"

#include <algorithm>
#include <functional>
#include <type_traits>
#include <vector>

#include "runtime/Gemm.h"
#include "runtime/Parallel.h"

namespace nnc::runtime {

namespace {

// One sample's taps as a matrix [C * k * k, Ho * Wo]: row (c, i, j) holds,
// for every output position, the input element that tap (i, j) of channel
// c sees there (0 in the padding). Group g's rows are a contiguous block.
class Taps {
public:
  explicit Taps(const Conv2dShape& s)
      : s_(s), positions_(s.outHeight() * s.outWidth()),
        // A 1x1 kernel moving one step with no padding sees the image itself.
        identity_(s.kernel == 1 && s.stride == 1 && s.padding == 0) {
    if (!identity_) columns_.resize(static_cast<size_t>(rows() * positions_));
  }
  int64_t rows() const { return s_.channels * s_.kernel * s_.kernel; }
  int64_t positions() const { return positions_; }

  // The taps of `image` [C, H, W].
  const float* gather(const float* image) {
    if (identity_) return image;
    forEachTapRow([&](float* taps, const float* source, int64_t shift, int64_t first, int64_t end) {
      std::fill(taps, taps + first, 0.0f);
      if (s_.stride == 1) {
        std::copy(source + first + shift, source + end + shift, taps + first);
      } else {
        for (int64_t ow = first; ow < end; ++ow) taps[ow] = source[ow * s_.stride + shift];
      }
      std::fill(taps + end, taps + s_.outWidth(), 0.0f);
    }, image, columns_.data());
    return columns_.data();
  }
  // Where gradients of the taps go before scatter() adds them to an image.
  float* scratch(float* image) { return identity_ ? image : columns_.data(); }
  // Adds each tap's gradient (in scratch()) to the image element it read
  // (`image` [C, H, W], zeroed by the caller).
  void scatter(float* image) {
    if (identity_) return;  // scratch() was the image
    forEachTapRow([&](float* taps, float* target, int64_t shift, int64_t first, int64_t end) {
      for (int64_t ow = first; ow < end; ++ow) target[ow * s_.stride + shift] += taps[ow];
    }, image, columns_.data());
  }

private:
  // f(the taps of one output row, the image row they read, `shift`, the
  // output positions [first, end) whose taps lie inside it) for every tap
  // (c, i, j) and output row, where output position ow reads the image
  // row's element ow * stride + shift; a tap row in the padding is zero.
  template <class F, class Image>
  void forEachTapRow(F f, Image* image, float* columns) {
    const int64_t k = s_.kernel, outH = s_.outHeight(), outW = s_.outWidth();
    for (int64_t c = 0; c < s_.channels; ++c)
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < k; ++j) {
          float* row = columns + ((c * k + i) * k + j) * positions_;
          // Output column ow reads input column ow * stride + shift.
          const int64_t shift = j * s_.dilation - s_.padding;
          const int64_t first = std::clamp<int64_t>((-shift + s_.stride - 1) / s_.stride, 0, outW);
          const int64_t end = std::clamp<int64_t>((s_.width - shift + s_.stride - 1) / s_.stride, first, outW);
          for (int64_t oh = 0; oh < outH; ++oh, row += outW) {
            const int64_t ih = oh * s_.stride - s_.padding + i * s_.dilation;
            if (ih < 0 || ih >= s_.height) {
              if constexpr (!std::is_const_v<Image>) continue;  // scatter: nothing read there
              std::fill(row, row + outW, 0.0f);
              continue;
            }
            f(row, image + (c * s_.height + ih) * s_.width, shift, first, end);
          }
        }
  }

  const Conv2dShape& s_;
  int64_t positions_;
  bool identity_;
  std::vector<float> columns_;
};

// The parts of a group: its weights [Og, Kg] and taps [Kg, P].
struct Groups {
  int64_t outPer, tapsPer, inputPer;  // output channels, tap rows and input channels per group
  explicit Groups(const Conv2dShape& s)
      : outPer(s.outChannels / s.groups), tapsPer(s.channels / s.groups * s.kernel * s.kernel),
        inputPer(s.channels / s.groups) {}
};

// Runs body(piece, first, end) over `pieces` pieces of the batch, samples
// [first, end) each: in parallel when the products may run at once, each
// piece on one thread.
void forPiecesOfBatch(int64_t batch, int64_t pieces, const std::function<void(int64_t, int64_t, int64_t)>& body) {
  auto piece = [&](int64_t p) { body(p, batch * p / pieces, batch * (p + 1) / pieces); };
  if (gemmTakesConcurrentCalls()) {
    parallelFor(pieces, piece);
  } else {
    for (int64_t p = 0; p < pieces; ++p) piece(p);
  }
}

// Pieces of the batch for the forward pass and the input's gradient, where
// each sample is independent: enough to keep every core busy.
int64_t samplePieces(int64_t batch) { return std::clamp<int64_t>(batch, 1, 4 * coreCount()); }

// v[0] + ... + v[n - 1] as eight interleaved partial sums, added pairwise
// at the end: a vector addition per eight elements, where one running sum
// is a chain of dependent additions (the compiler may not reorder them),
// which took ~3 ms of CPU time in each step of the Fashion CNN.
float rowSum(const float* v, int64_t n) {
  float part[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int lane = 0; lane < 8; ++lane) part[lane] += v[i + lane];
  for (int lane = 0; i < n; ++i, ++lane) part[lane] += v[i];
  return ((part[0] + part[4]) + (part[2] + part[6])) + ((part[1] + part[5]) + (part[3] + part[7]));
}

// The weight gradient's fixed pieces: a constant, so the order its sums are
// added in (and so its bits) never depends on the machine or the pool.
constexpr int64_t kWeightGradientPieces = 8;

}  // namespace

void conv2dForward(const float* x, const float* w, const float* b, const Conv2dShape& s, float* y) {
  const Groups g(s);
  const int64_t inSize = s.channels * s.height * s.width, positions = s.outHeight() * s.outWidth();
  forPiecesOfBatch(s.batch, samplePieces(s.batch), [&](int64_t, int64_t first, int64_t end) {
    Taps taps(s);
    for (int64_t n = first; n < end; ++n) {
      const float* columns = taps.gather(x + n * inSize);
      float* out = y + n * s.outChannels * positions;
      // The bias first, the product added to it (beta = 1): one pass over y.
      for (int64_t o = 0; o < s.outChannels; ++o) std::fill(out + o * positions, out + (o + 1) * positions, b[o]);
      for (int64_t group = 0; group < s.groups; ++group)
        gemm({w + group * g.outPer * g.tapsPer, g.outPer, g.tapsPer}, Transpose::No,
             {columns + group * g.tapsPer * positions, g.tapsPer, positions}, Transpose::No,
             out + group * g.outPer * positions, g.outPer, positions, 1, 1);
    }
  });
}

void conv2dBackwardInput(const float* dy, const float* w, const Conv2dShape& s, float* dx) {
  const Groups g(s);
  const int64_t inSize = s.channels * s.height * s.width, positions = s.outHeight() * s.outWidth();
  forPiecesOfBatch(s.batch, samplePieces(s.batch), [&](int64_t, int64_t first, int64_t end) {
    Taps taps(s);
    for (int64_t n = first; n < end; ++n) {
      float* image = dx + n * inSize;
      float* columns = taps.scratch(image);
      const float* grad = dy + n * s.outChannels * positions;
      // d taps [Kg, P] = w_g^T [Kg, Og] * dy_g [Og, P]
      for (int64_t group = 0; group < s.groups; ++group)
        gemm({w + group * g.outPer * g.tapsPer, g.outPer, g.tapsPer}, Transpose::Yes,
             {grad + group * g.outPer * positions, g.outPer, positions}, Transpose::No,
             columns + group * g.tapsPer * positions, g.tapsPer, positions);
      if (columns != image) {
        std::fill(image, image + inSize, 0.0f);
        taps.scatter(image);
      }
    }
  });
}

void conv2dBackwardWeights(const float* x, const float* dy, const Conv2dShape& s, float* dw, float* db) {
  const Groups g(s);
  const int64_t inSize = s.channels * s.height * s.width, positions = s.outHeight() * s.outWidth();
  const int64_t weights = s.outChannels * g.tapsPer;
  const int64_t pieces = std::clamp<int64_t>(s.batch, 1, kWeightGradientPieces);
  // Each piece's sums, added in piece order at the end.
  std::vector<std::vector<float>> sums(static_cast<size_t>(pieces));
  std::vector<std::vector<double>> biasSums(static_cast<size_t>(pieces));
  forPiecesOfBatch(s.batch, pieces, [&](int64_t piece, int64_t first, int64_t end) {
    std::vector<float>& dwPart = sums[static_cast<size_t>(piece)];
    std::vector<double>& dbPart = biasSums[static_cast<size_t>(piece)];
    dwPart.assign(static_cast<size_t>(weights), 0.0f);
    dbPart.assign(static_cast<size_t>(s.outChannels), 0.0);
    Taps taps(s);
    for (int64_t n = first; n < end; ++n) {
      const float* columns = taps.gather(x + n * inSize);
      const float* grad = dy + n * s.outChannels * positions;
      // dw_g [Og, Kg] += dy_g [Og, P] * taps_g^T [P, Kg]
      for (int64_t group = 0; group < s.groups; ++group)
        gemm({grad + group * g.outPer * positions, g.outPer, positions}, Transpose::No,
             {columns + group * g.tapsPer * positions, g.tapsPer, positions}, Transpose::Yes,
             dwPart.data() + group * g.outPer * g.tapsPer, g.outPer, g.tapsPer, 1, 1);
      // One sample's row in float, the samples' sum in double.
      for (int64_t o = 0; o < s.outChannels; ++o)
        dbPart[static_cast<size_t>(o)] += rowSum(grad + o * positions, positions);
    }
  });
  std::fill(dw, dw + weights, 0.0f);
  std::vector<double> bias(static_cast<size_t>(s.outChannels), 0.0);
  for (int64_t p = 0; p < pieces; ++p) {
    const std::vector<float>& part = sums[static_cast<size_t>(p)];
    for (int64_t i = 0; i < weights; ++i) dw[i] += part[static_cast<size_t>(i)];
    for (int64_t o = 0; o < s.outChannels; ++o) bias[static_cast<size_t>(o)] += biasSums[static_cast<size_t>(p)][static_cast<size_t>(o)];
  }
  for (int64_t o = 0; o < s.outChannels; ++o) db[o] = static_cast<float>(bias[static_cast<size_t>(o)]);
}

}  // namespace nnc::runtime

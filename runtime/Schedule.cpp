#include "runtime/Schedule.h"

#include <algorithm>
#include <cmath>

namespace nnc::runtime {

double LearningRateSchedule::at(double base, int64_t epoch, int64_t epochs, double plateauScale) const {
  switch (kind) {
    case Kind::Constant: return base;
    case Kind::Plateau: return std::max(base * plateauScale, std::min(minimum, base));
    case Kind::Step: return base * std::pow(gamma, static_cast<double>(epoch / std::max<int64_t>(stepSize, 1)));
    case Kind::Cosine: {
      if (epoch < warmup) return base * static_cast<double>(epoch + 1) / static_cast<double>(warmup);
      // CosineAnnealingLR's closed form with T_max the epochs after warmup.
      int64_t span = std::max<int64_t>(epochs - warmup, 1);
      double progress = std::min(1.0, static_cast<double>(epoch - warmup) / static_cast<double>(span));
      return minimum + (base - minimum) * (1 + std::cos(M_PI * progress)) / 2;
    }
  }
  return base;
}

}  // namespace nnc::runtime

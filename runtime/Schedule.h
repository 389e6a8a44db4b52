#pragma once
// How the learning rate changes from epoch to epoch.
#include <cstdint>

namespace nnc::runtime {

struct LearningRateSchedule {
  enum class Kind { Constant, Step, Cosine, Plateau };
  Kind kind = Kind::Constant;
  int64_t stepSize = 1;  // Step: the rate is multiplied by gamma every stepSize epochs (torch's StepLR)
  double gamma = 0.1;    // Step, Plateau: the factor
  // Plateau (torch's ReduceLROnPlateau on the test loss): the rate is
  // multiplied by gamma after `patience` epochs without improvement, never
  // below `minimum` (TestLossWatch keeps the count).
  int64_t patience = 10;
  // Cosine: epochs 0 .. warmup-1 rise linearly, base * (e + 1) / warmup;
  // then torch's CosineAnnealingLR with T_max the epochs left: from base,
  // down half a cosine that reaches `minimum` just after the last epoch.
  int64_t warmup = 0;
  double minimum = 0;

  // The rate of 0-based `epoch` of `epochs`, for the optimiser's `base` rate
  // (Plateau: `base` scaled by `plateauScale`, what the test loss has done).
  double at(double base, int64_t epoch, int64_t epochs, double plateauScale = 1) const;
};

}  // namespace nnc::runtime

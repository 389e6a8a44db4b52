#pragma once
// What training remembers of the test loss from epoch to epoch: the best so
// far (early stopping, --save-best) and the plateau schedule's state (torch's
// ReduceLROnPlateau). Checkpoints keep it, so a resumed run goes on with it.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "runtime/Schedule.h"

namespace nnc::runtime {

struct TestLossWatch {
  double best = std::numeric_limits<double>::infinity();
  int64_t bestEpoch = 0;         // 1-based; 0 before the first epoch
  int64_t epochsSinceBest = 0;
  // The plateau schedule: its own best (improved by a relative 1e-4, as
  // torch's threshold), the epochs since, and the factor applied so far.
  double plateauBest = std::numeric_limits<double>::infinity();
  int64_t plateauEpochs = 0;
  double rateScale = 1;

  // Records 1-based epoch `epoch`'s test loss; true if it is the lowest yet.
  bool record(double loss, int64_t epoch);
  // After record(): the plateau schedule's step. Multiplies rateScale by the
  // schedule's factor once the loss has not improved for more than its
  // patience epochs (then counts again).
  void stepPlateau(double loss, const LearningRateSchedule& schedule);

  // As checkpoint metadata ("test_loss.best", ...), and back; nullopt if a
  // value is malformed, the watch of a fresh run if the keys are absent.
  void writeTo(std::map<std::string, std::string>& metadata) const;
  static std::optional<TestLossWatch> readFrom(const std::map<std::string, std::string>& metadata);
};

}  // namespace nnc::runtime

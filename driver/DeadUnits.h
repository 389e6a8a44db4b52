#pragma once
// -Wdead-units: the training-time warning about relu units that stopped
// learning. A unit is dead in an epoch when its activation had slope 0 for
// every training sample: it received no gradient, so nothing in that epoch
// could change its weights and bring it back. A convolution's unit is a
// channel (a1 = relu(conv1)): dead when it was 0 at every position of every
// sample.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "frontend/Model.h"
#include "passes/Pass.h"
#include "runtime/Trainer.h"

namespace nnc::driver {

// Whether a unit with this activation can die (analysis::ActivationFacts::
// canDie, decided from the formula, not its name). Activations with
// learnable parameters are left out: training can change their shape
// (prelu starting at a = 0).
bool canDie(const frontend::LayerActivation& activation, ir::ExprContext& exprs);

class DeadUnitCheck {
public:
  // Warns when more than `threshold` (0 to 1) of a layer's units that can
  // die are dead after an epoch.
  DeadUnitCheck(const frontend::ModelDef& model, ir::ExprContext& exprs, double threshold);

  // The layers whose output maxima the model must track (Trainable::trackOutputMaxima).
  std::vector<std::string> layers() const;
  // Reports through `context` (as warning dead-units) each layer over the
  // threshold in this epoch, each layer at most once per run. Returns
  // whether it reported anything.
  bool check(const runtime::EpochReport& report, passes::PassContext& context);
  // Per watched layer in the report: the fraction of its units that can
  // die that were dead in that epoch.
  std::vector<std::pair<std::string, double>> fractions(const runtime::EpochReport& report) const;

private:
  struct Watched {
    std::string name;
    SourceRange range;
    int64_t layerUnits = 0;                           // the layer's units (a convolution's channels)
    int64_t positions = 1;                            // outputs per unit: a channel's height x width
    std::vector<std::pair<int64_t, int64_t>> ranges;  // [first unit, count] of activations that can die
    int64_t units = 0;                                // their total
  };
  int64_t deadUnits(const Watched& watched, const runtime::Tensor& maxima) const;

  std::vector<Watched> watched_;
  double threshold_;
  std::set<std::string> reported_;
};

}  // namespace nnc::driver

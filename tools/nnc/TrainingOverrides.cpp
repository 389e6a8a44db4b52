#include "tools/nnc/TrainingOverrides.h"

#include <cstdint>

#include <fmt/format.h>

#include "frontend/TrainSema.h"

namespace nnc::cli {

std::vector<OptionSpec> trainingOverrideOptions() {
  return {
      {"epochs", "N", "number of epochs"},
      {"batch", "N", "mini-batch size"},
      {"lr", "X", "learning rate"},
      {"seed", "N", "random seed (initial weights, shuffling)"},
  };
}

void applyTrainingOverrides(const ParsedOptions& options, frontend::TrainingDef& training, Diagnostics& diags) {
  if (auto v = options.get("epochs")) training.epochs = parseInteger("epochs", *v, 1, 100000, diags).value_or(0);
  if (auto v = options.get("batch")) training.batchSize = parseInteger("batch", *v, 1, 1 << 20, diags).value_or(0);
  if (auto v = options.get("seed"))
    training.seed = static_cast<uint64_t>(parseInteger("seed", *v, 0, INT64_MAX, diags).value_or(0));
  if (auto v = options.get("lr")) {
    std::optional<double> lr = parseReal("--lr", *v, diags);
    if (lr && !frontend::isUsableLearningRate(*lr))
      diags.error(fmt::format("--lr needs a positive number that float32 holds, not '{}'", *v));
    training.optimizer.learningRate = lr.value_or(0);
  }
}

}  // namespace nnc::cli

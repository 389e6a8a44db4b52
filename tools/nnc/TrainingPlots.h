#pragma once
// `nnc train --plot-dir DIR`: charts of a training run, per epoch.
//   loss.svg        training and test loss
//   accuracy.svg    test accuracy
//   grad_norms.svg  each layer's weight-gradient norm, log scale (vanishing
//                   gradients show as lines decades apart)
#include <string>
#include <vector>

#include "frontend/Model.h"
#include "runtime/Trainer.h"
#include "support/Diagnostics.h"

namespace nnc::cli {

// Writes the charts into `dir` (which must exist); returns the paths
// written, empty after an error (in diags).
std::vector<std::string> writeTrainingPlots(const std::string& dir, const frontend::ModelDef& model,
                                            const std::vector<runtime::EpochReport>& epochs, Diagnostics& diags);

}  // namespace nnc::cli

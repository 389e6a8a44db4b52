#pragma once
// `nnc plot F.nn --weights W --layer L`: what training made of a layer's
// activations. One panel per activation of the layer (a mixed layer has
// several): its shape with the trained parameters beside its initial shape;
// with a parameter per unit, one curve per unit (up to 8 units) or, for
// more, the band the units span and their median.
#include <optional>
#include <string>
#include <vector>

#include "frontend/Model.h"
#include "plot/Chart.h"
#include "runtime/Checkpoint.h"
#include "support/Diagnostics.h"

namespace nnc::cli {

std::optional<std::vector<plot::Chart>> learnedActivationCharts(const frontend::LayerDef& layer,
                                                                const runtime::Checkpoint& weights,
                                                                const std::string& weightsPath, double from, double to,
                                                                Diagnostics& diags);

}  // namespace nnc::cli

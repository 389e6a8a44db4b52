#pragma once
// The chart of an activation and its derivatives, as `nnc plot` and the
// REPL's :plot draw it: densely sampled through its JIT kernel, with
// breaks at jumps (a step function's) and where values are not finite.
#include <string>

#include "plot/Chart.h"
#include "tools/nnc/FormulaKernel.h"

namespace nnc::cli {

plot::Chart activationChart(const FormulaKernel& kernel, const std::string& name, const std::string& variable,
                            double from, double to);

}  // namespace nnc::cli

#pragma once
// Draws charts as one SVG document: each chart a panel with a title, a
// frame, grid lines at the ticks, tick labels, axis labels and a legend
// beside the plot (never over the lines); several charts side by side.
// Series take distinct colours in order; a series' path is one <path>
// element, broken where its values are not finite.
#include <string>
#include <vector>

#include "plot/Chart.h"

namespace nnc::plot {

// `columns`: panels per row (0: all in one row).
std::string renderSvg(const std::vector<Chart>& charts, size_t columns = 0);

// The colour of the k-th series (a palette readable on white, distinct
// for colour-blind readers in its first entries).
const char* seriesColour(size_t k);

}  // namespace nnc::plot

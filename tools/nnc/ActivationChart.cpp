#include "tools/nnc/ActivationChart.h"

#include "plot/Sampling.h"

namespace nnc::cli {

plot::Chart activationChart(const FormulaKernel& kernel, const std::string& name, const std::string& variable,
                            double from, double to) {
  // Solid, dashed, dotted: the orders stay apart in grey print as well.
  static const char* const kDashes[] = {"", "7 4", "2 3", "9 3 2 3"};
  plot::Chart chart;
  chart.title = name;
  chart.xLabel = variable;
  chart.xRange = plot::Range{from, to};
  std::vector<plot::Curve> curves =
      plot::sampleCurves([&](const std::vector<double>& xs) { return kernel.evaluate(xs); }, from, to);
  for (size_t k = 0; k < curves.size(); ++k) {
    plot::Series series;
    series.label = derivativeLabel(name, variable, k);
    series.x = std::move(curves[k].x);
    series.y = std::move(curves[k].y);
    series.dash = kDashes[k % std::size(kDashes)];
    chart.series.push_back(std::move(series));
  }
  return chart;
}

}  // namespace nnc::cli

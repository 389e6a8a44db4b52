#include "tools/nnc/TrainingPlots.h"

#include <filesystem>

#include "plot/SvgChart.h"
#include "tools/nnc/OutputFile.h"

namespace nnc::cli {

namespace {

plot::Series perEpoch(const std::string& label, const std::vector<runtime::EpochReport>& epochs,
                      double (*value)(const runtime::EpochReport&)) {
  plot::Series series;
  series.label = label;
  series.markers = true;
  for (const runtime::EpochReport& r : epochs) {
    series.x.push_back(static_cast<double>(r.epoch));
    series.y.push_back(value(r));
  }
  return series;
}

plot::Chart epochChart(const std::string& title, const std::string& yLabel) {
  plot::Chart chart;
  chart.title = title;
  chart.xLabel = "epoch";
  chart.yLabel = yLabel;
  chart.integerX = true;
  return chart;
}

}  // namespace

std::vector<std::string> writeTrainingPlots(const std::string& dir, const frontend::ModelDef& model,
                                            const std::vector<runtime::EpochReport>& epochs, Diagnostics& diags) {
  std::vector<std::pair<std::string, plot::Chart>> files;

  plot::Chart loss = epochChart(model.name + ": loss", "loss");
  loss.series.push_back(perEpoch("training", epochs, [](const runtime::EpochReport& r) { return r.trainLoss; }));
  loss.series.push_back(perEpoch("test", epochs, [](const runtime::EpochReport& r) { return r.test.loss; }));
  files.emplace_back("loss.svg", loss);

  if (!epochs.empty() && epochs.front().test.regression) {
    plot::Chart rmse = epochChart(model.name + ": test RMSE", "RMSE");
    rmse.series.push_back(perEpoch("test", epochs, [](const runtime::EpochReport& r) { return r.test.rmse; }));
    files.emplace_back("rmse.svg", rmse);
  } else {
    plot::Chart accuracy = epochChart(model.name + ": test accuracy", "accuracy");
    accuracy.series.push_back(perEpoch("test", epochs, [](const runtime::EpochReport& r) { return r.test.accuracy; }));
    files.emplace_back("accuracy.svg", accuracy);
  }

  // One line per layer, forward order (the legend then reads input to output).
  plot::Chart norms = epochChart(model.name + ": weight-gradient norm per layer", "RMS of ||dW|| (log scale)");
  norms.logY = true;
  for (const frontend::LayerDef& layer : model.layers) {
    plot::Series series;
    series.label = layer.name;
    series.markers = true;
    for (const runtime::EpochReport& r : epochs)
      for (const runtime::GradientNorm& g : r.gradientNorms)
        if (g.parameter == layer.name + ".weight") {
          series.x.push_back(static_cast<double>(r.epoch));
          series.y.push_back(g.rms);
        }
    if (!series.x.empty()) norms.series.push_back(std::move(series));
  }
  if (!norms.series.empty()) files.emplace_back("grad_norms.svg", norms);

  std::vector<std::string> written;
  for (const auto& [name, chart] : files) {
    std::string path = (std::filesystem::path(dir) / name).string();
    if (!writeTextFile(path, plot::renderSvg({chart}), diags)) return {};
    written.push_back(path);
  }
  return written;
}

}  // namespace nnc::cli

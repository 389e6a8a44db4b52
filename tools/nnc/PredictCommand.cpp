// nnc predict: the model's outputs for each sample of a CSV file.
#include <cmath>

#include <fmt/format.h>

#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelCommand.h"
#include "tools/nnc/NumberFormat.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc predict F.nn --weights W.safetensors --data D.csv [--model NAME] [--fold-linear]\n"
    "\n"
    "Prints one line per sample of D.csv: the model's outputs (its last layer),\n"
    "space-separated, with 9 significant digits. D.csv has the layout of the\n"
    "model's training CSV: feature columns and a label column (which predict\n"
    "ignores) where its train declaration's `label =` puts it, else last.\n\n";

}  // namespace

int runPredict(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs = modelOptions();
  specs.insert(specs.end() - 1, {"fold-linear", "", "run dense layers that collapse (see -Wlinear-collapse) as one"});
  auto options = parseOptions("predict", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  std::optional<driver::ReadyModel> ready;
  if (options) ready = prepareModel(*options, false, diags, err);
  if (!ready) {
    return failWith(err, diags);
  }
  printWarnings(err, diags);
  const runtime::Tensor& prediction = ready->native.model->predict(ready->data.features);
  int64_t columns = prediction.dim(1);
  for (int64_t r = 0; r < prediction.dim(0); ++r) {
    std::string line;
    for (int64_t c = 0; c < columns; ++c) {
      if (c) line += ' ';
      line += formatNumber(prediction[r * columns + c]);
    }
    out << line << "\n";
  }
  return 0;
}

}  // namespace nnc::cli

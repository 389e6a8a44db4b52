// nnc evaluate: the loss and metrics of a checkpoint on a data set, with a
// confusion matrix and each class's accuracy for classification.
#include <algorithm>

#include <fmt/format.h>

#include "driver/ModelChoice.h"
#include "driver/TrainingSetup.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelCommand.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc evaluate F.nn --weights W.safetensors [--data D.csv] [--model NAME]\n"
    "\n"
    "Prints the loss and the metrics of the task on the samples of D.csv, or\n"
    "without --data on the test data of the model's train declaration: for\n"
    "class labels the accuracy, the confusion matrix (rows: the true class,\n"
    "columns: the predicted one) and each class's accuracy; for real-valued\n"
    "targets RMSE, MAE and R^2. Samples run in batches as nnc train evaluates,\n"
    "so the figures are the ones it printed for the same weights and data.\n\n";

// The batch nnc train evaluated in, from its batch as the checkpoint
// records it, else the declaration's.
int64_t evaluationBatch(const driver::ReadyModel& ready) {
  Diagnostics ignored;  // a second train declaration is an error the program's checks reported
  const frontend::TrainingDef* training = driver::trainingFor(ready.loaded.program, ready.model, ignored);
  return runtime::evaluationBatchSize(ready.trainedBatch.value_or(training ? training->batchSize : 0));
}

void printConfusion(const runtime::Evaluation& result, std::ostream& out) {
  int64_t classes = result.classes;
  auto count = [&](int64_t actual, int64_t predicted) {
    return result.confusion[static_cast<size_t>(actual * classes + predicted)];
  };
  int64_t widest = 1;
  for (int64_t c : result.confusion) widest = std::max<int64_t>(widest, static_cast<int64_t>(fmt::format("{}", c).size()));
  int width = static_cast<int>(std::max<int64_t>(widest, static_cast<int64_t>(fmt::format("{}", classes - 1).size())));
  out << "confusion matrix (rows: true class, columns: predicted class)\n";
  std::string header = fmt::format("{:>{}}", "", width + 2);
  for (int64_t p = 0; p < classes; ++p) header += fmt::format(" {:>{}}", p, width);
  out << header << "\n";
  for (int64_t a = 0; a < classes; ++a) {
    std::string row = fmt::format("{:>{}}  ", a, width);
    for (int64_t p = 0; p < classes; ++p) row += fmt::format(" {:>{}}", count(a, p), width);
    out << row << "\n";
  }
  out << "accuracy per class\n";
  for (int64_t a = 0; a < classes; ++a) {
    int64_t samples = 0;
    for (int64_t p = 0; p < classes; ++p) samples += count(a, p);
    if (samples == 0) {
      out << fmt::format("{:>{}}  -       (no samples)\n", a, width);
      continue;
    }
    out << fmt::format("{:>{}}  {:.4f}  ({} of {})\n", a, width, static_cast<double>(count(a, a)) / static_cast<double>(samples),
                       count(a, a), samples);
  }
}

}  // namespace

int runEvaluate(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs = modelOptions();
  for (OptionSpec& spec : specs)
    if (spec.name == "data") spec.help += "; default: the test data of the model's train declaration";
  auto options = parseOptions("evaluate", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  std::optional<driver::ReadyModel> ready;
  if (options) ready = prepareModel(*options, false, DataRule::Optional, diags, err);
  if (!ready) return failWith(err, diags);
  printWarnings(err, diags);
  const runtime::Dataset& data = ready->data;
  runtime::Evaluation result = runtime::evaluate(*ready->native.model, data, evaluationBatch(*ready));
  std::string samples = fmt::format("({} samples)", data.sampleCount());
  if (result.regression) {
    out << fmt::format("loss {:.4f}  rmse {:.4f}  mae {:.4f}  r2 {:.4f}  {}\n", result.loss, result.rmse, result.mae,
                       result.r2, samples);
    return 0;
  }
  if (data.hasTargets()) {  // several labels per sample (bce against targets): accuracy of the elements
    out << fmt::format("loss {:.4f}  accuracy {:.4f} (of {} labels)  {}\n", result.loss, result.accuracy,
                       data.sampleCount() * data.targetCount(), samples);
    return 0;
  }
  out << fmt::format("loss {:.4f}  accuracy {:.4f}  {}\n", result.loss, result.accuracy, samples);
  printConfusion(result, out);
  return 0;
}

}  // namespace nnc::cli

// nnc predict: the model's outputs for each sample of a CSV file, as raw
// outputs, probabilities or classes, printed or written as CSV.
#include <cmath>

#include <fmt/format.h>

#include "driver/Program.h"
#include "runtime/Softmax.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelCommand.h"
#include "tools/nnc/NumberFormat.h"
#include "tools/nnc/OutputFile.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc predict F.nn --weights W.safetensors --data D.csv [--output raw|prob|class] [--out P.csv]\n"
    "                   [--model NAME] [--fold-linear]\n"
    "\n"
    "Prints one line per sample of D.csv: the model's outputs (its last layer),\n"
    "space-separated, with 9 significant digits; with --output prob the\n"
    "probabilities (softmax of cross_entropy's logits, sigmoid of\n"
    "bce_with_logits'), with --output class the predicted class. With --out\n"
    "they are written to P.csv instead, comma-separated under a header. D.csv\n"
    "has the layout of the model's training CSV (feature columns and a label\n"
    "column, which predict ignores, where its train declaration's `label =`\n"
    "puts it, else last), or holds the feature columns only.\n\n";

enum class OutputKind { Raw, Probabilities, Classes };

std::optional<OutputKind> outputKind(const ParsedOptions& options, Diagnostics& diags) {
  std::string kind = options.get("output").value_or("raw");
  if (kind == "raw") return OutputKind::Raw;
  if (kind == "prob") return OutputKind::Probabilities;
  if (kind == "class") return OutputKind::Classes;
  diags.error(fmt::format("--output '{}': expected raw, prob or class", kind));
  return std::nullopt;
}

// The rows to print, each a list of numbers: the raw outputs, their
// probabilities, or the class. Empty, with an error, when the model's
// outputs have no such reading: classes need a model trained on class
// labels, probabilities a loss that reads its outputs as them.
std::vector<std::vector<double>> rowsOf(const runtime::Tensor& prediction, runtime::Loss loss, bool classLabels,
                                        OutputKind kind, Diagnostics& diags) {
  int64_t rows = prediction.dim(0), columns = prediction.dim(1);
  bool readsProbabilities = loss == runtime::Loss::CrossEntropy || loss == runtime::Loss::BCE ||
                            loss == runtime::Loss::BCEWithLogits;
  if (kind == OutputKind::Classes && !classLabels) {
    diags.error("--output class: the model compares real-valued targets, not class labels; use --output raw");
    return {};
  }
  if (kind == OutputKind::Probabilities && !readsProbabilities) {
    diags.error("--output prob: the model's loss does not read its outputs as probabilities (cross_entropy, bce "
                "and bce_with_logits do); use --output raw or class");
    return {};
  }
  runtime::Tensor probabilities = prediction;
  if (kind == OutputKind::Probabilities && loss == runtime::Loss::CrossEntropy)
    runtime::softmaxRows(prediction.data(), rows, columns, probabilities.data());
  if (kind == OutputKind::Probabilities && loss == runtime::Loss::BCEWithLogits)
    for (float& v : probabilities.values()) v = static_cast<float>(1 / (1 + std::exp(-static_cast<double>(v))));
  std::vector<std::vector<double>> out(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = (kind == OutputKind::Probabilities ? probabilities : prediction).data() + r * columns;
    if (kind == OutputKind::Classes) out[static_cast<size_t>(r)] = {double(runtime::predictedClass(loss, row, columns))};
    else out[static_cast<size_t>(r)].assign(row, row + columns);
  }
  return out;
}

// The rows as lines of numbers between `separator`s.
std::string lines(const std::vector<std::vector<double>>& rows, const char* separator) {
  std::string text;
  for (const std::vector<double>& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) text += separator;
      text += formatNumber(row[c]);
    }
    text += '\n';
  }
  return text;
}

// A CSV file: a header (class, or y0,y1,... / p0,p1,...), then the rows.
std::string csvText(const std::vector<std::vector<double>>& rows, OutputKind kind) {
  std::string header = kind == OutputKind::Classes ? "class" : "";
  size_t columns = rows.empty() ? 0 : rows[0].size();
  for (size_t c = 0; c < columns && kind != OutputKind::Classes; ++c)
    header += fmt::format("{}{}{}", c ? "," : "", kind == OutputKind::Probabilities ? "p" : "y", c);
  return header + "\n" + lines(rows, ",");
}

}  // namespace

int runPredict(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs = modelOptions();
  for (OptionSpec& spec : specs)
    if (spec.name == "data") spec.help += ", or its feature columns only";
  specs.insert(specs.end() - 1, {"output", "raw|prob|class", "what to print per sample (default: raw outputs)"});
  specs.insert(specs.end() - 1, {"out", "P.csv", "write the predictions as CSV with a header, not to standard output"});
  specs.insert(specs.end() - 1, {"fold-linear", "", "run dense layers that collapse (see -Wlinear-collapse) as one, batchnorms inside the layer before them"});
  auto options = parseOptions("predict", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  std::optional<OutputKind> kind = options ? outputKind(*options, diags) : std::nullopt;
  std::optional<driver::ReadyModel> ready;
  if (options && kind) ready = prepareModel(*options, false, DataRule::MayBeUnlabelled, diags, err);
  if (!ready) return failWith(err, diags);
  std::optional<std::string> outPath = options->get("out");
  if (outPath) {
    std::vector<std::string> inputs = driver::programInputs(ready->loaded.program);
    inputs.push_back(*options->get("weights"));
    inputs.push_back(*options->get("data"));
    if (!checkNotAnInput("--out", *outPath, inputs, diags)) return failWith(err, diags);
  }
  printWarnings(err, diags);
  const runtime::Tensor& prediction = ready->native.model->predict(ready->data.features);
  bool classLabels = true;
  for (const frontend::ModelDef& model : ready->loaded.program.models)
    if (model.name == ready->model) classLabels = model.targetSize == 0;
  std::vector<std::vector<double>> rows = rowsOf(prediction, ready->native.model->loss(), classLabels, *kind, diags);
  if (diags.hasErrors()) return failWith(err, diags);
  if (outPath) return writeTextFile(*outPath, csvText(rows, *kind), diags) ? 0 : failWith(err, diags);
  out << lines(rows, " ");
  return 0;
}

}  // namespace nnc::cli

#include "tools/nnc/ModelCommand.h"

#include <fmt/format.h>

#include "frontend/ModelChoice.h"
#include "runtime/Checkpoint.h"
#include "runtime/CsvReader.h"
#include "tools/nnc/CompilerFlags.h"
#include "tools/nnc/TrainingCheckpoint.h"

namespace nnc::cli {

std::vector<OptionSpec> modelOptions() {
  std::vector<OptionSpec> specs = {
      {"weights", "W.safetensors", "the parameters (a checkpoint from nnc train --save, or PyTorch's names)"},
      {"data", "D.csv", "samples, laid out as the model's training CSV (its label column where `label =` says)"},
      {"model", "NAME", "which model of the file (default: its only one)"},
  };
  for (OptionSpec& spec : compilerOptions()) specs.push_back(std::move(spec));
  specs.push_back({"help", "", "show this help"});
  return specs;
}

namespace {

passes::TrainedParameters trainedParameters(const runtime::Checkpoint& checkpoint) {
  passes::TrainedParameters out;
  for (const runtime::NamedTensor& t : checkpoint.tensors)
    out[t.name] = {ir::TensorShape(t.tensor.shape().begin(), t.tensor.shape().end()),
                   std::vector<float>(t.tensor.data(), t.tensor.data() + t.tensor.size())};
  return out;
}

// The CSV layout of the model's training data, which --data must share: the
// label column its train declaration names (`label = N`; the last column by
// default, and for a model trained on IDX files), or its real-valued
// targets' columns.
runtime::CsvOptions dataLayout(const frontend::Program& program, const frontend::ModelDef& model) {
  runtime::CsvOptions options;
  options.targetColumns = model.targetSize;
  for (const frontend::TrainingDef& training : program.trainings)
    if (training.model == model.name && training.data.kind == frontend::DataSource::Kind::Csv)
      options.labelColumn = static_cast<int>(training.data.labelColumn);
  return options;
}

}  // namespace

std::optional<ReadyModel> prepareModel(const ParsedOptions& options, Diagnostics& diags, std::ostream& log) {
  std::optional<CompilerFlags> flags = parseCompilerFlags(options, diags, true);
  bool fold = options.has("fold-linear");
  if (flags) flags->pipeline.foldLinear = fold;
  if (options.positional().size() != 1) diags.error("give one .nn file");
  if (!options.get("weights")) diags.error("--weights is required");
  if (!options.get("data")) diags.error("--data is required");
  if (!flags || diags.hasErrors()) return std::nullopt;
  const std::string& path = options.positional()[0];
  std::optional<LoadedProgram> loaded = loadProgram(path, diags);
  if (!loaded) return std::nullopt;
  const frontend::ModelDef* model =
      frontend::chooseModel(loaded->program, options.get("model"), fmt::format("'{}'", path), "--model", diags);
  if (!model) return std::nullopt;
  std::optional<runtime::Dataset> data = runtime::loadCsvDataset(*options.get("data"), diags,
                                                                 dataLayout(loaded->program, *model));
  std::optional<runtime::Checkpoint> weights =
      runtime::loadCheckpoint(*options.get("weights"), diags, modelTensors(*model));
  if (!data || !weights) return std::nullopt;
  if (std::string problem = weightsProblem(*weights, model->name); !problem.empty()) {
    diags.error(fmt::format("cannot use '{}' as weights: {}", *options.get("weights"), problem));
    return std::nullopt;
  }
  checkTargets(*model, *data, nullptr, {}, "--data", diags);
  if (diags.hasErrors()) return std::nullopt;
  if (data->featureCount() != model->inputSize) {
    diags.error(fmt::format("'{}' has {} features per sample, but model '{}' takes input {}", *options.get("data"),
                            data->featureCount(), model->name, model->inputSize));
    return std::nullopt;
  }

  ReadyModel ready;
  std::string error;
  ready.jit = backend::FormulaJIT::create(error);
  passes::TrainedParameters trained;
  if (fold) trained = trainedParameters(*weights);
  if (ready.jit) {
    std::optional<ir::Graph> graph = compileModelGraph(*model, *loaded, *flags, diags, log, fold ? &trained : nullptr);
    if (!graph) return std::nullopt;
    ready.model = backend::CompiledModel::compile(std::move(*graph), *ready.jit, 0, error);
  }
  // The parameters fold-linear made are loaded like the saved ones.
  for (auto& [name, value] : trained) {
    if (weights->find(name)) continue;
    runtime::Tensor tensor{runtime::Shape(value.shape)};
    std::copy(value.values.begin(), value.values.end(), tensor.data());
    weights->tensors.push_back({name, std::move(tensor)});
  }
  if (!ready.model) {
    diags.error(error);
    return std::nullopt;
  }
  loadParameters(*weights, fmt::format("'{}'", *options.get("weights")), fmt::format("model '{}'", model->name),
                 ready.model->parameters(), diags);
  if (diags.hasErrors()) return std::nullopt;
  ready.loaded = std::move(*loaded);
  ready.data = std::move(*data);
  return ready;
}

}  // namespace nnc::cli

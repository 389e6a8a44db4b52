#include "driver/Inference.h"

#include <fmt/format.h>

#include "driver/Checkpoints.h"
#include "driver/ModelChoice.h"
#include "driver/TrainingSetup.h"
#include "runtime/Checkpoint.h"
#include "runtime/CsvReader.h"

namespace nnc::driver {

namespace {

// The CSV layout of the model's training data, which the data must share:
// the label column its train declaration names (`label = N`; the last
// column by default, and for a model trained on IDX files), or its
// real-valued targets' columns.
runtime::CsvOptions dataLayout(const frontend::Program& program, const frontend::ModelDef& model, bool unlabelled) {
  runtime::CsvOptions options;
  options.targetColumns = model.targetSize;
  if (unlabelled) options.unlabelledColumns = model.inputSize;
  for (const frontend::TrainingDef& training : program.trainings)
    if (training.model == model.name && training.data.kind == frontend::DataSource::Kind::Csv)
      options.labelColumn = static_cast<int>(training.data.labelColumn);
  return options;
}

// The test data of the model's `train` declaration (held out of its
// training data when it names none), checked as training checks it.
std::optional<runtime::Dataset> declaredTestData(const LoadedProgram& loaded, const frontend::ModelDef& model,
                                                 std::optional<uint64_t> seed, Diagnostics& diags) {
  const frontend::TrainingDef* declared = trainingFor(loaded.program, model.name, diags);
  if (diags.hasErrors()) return std::nullopt;
  if (!declared) {
    diags.error(loaded.mainSource(), model.range,
                fmt::format("model '{}' has no `train` declaration to take test data from; give the samples "
                            "with --data D.csv", model.name));
    return std::nullopt;
  }
  frontend::TrainingDef training = *declared;
  if (seed) training.seed = *seed;  // the split nnc train --seed made
  std::optional<TrainingData> data = loadTrainingData(model, training, loaded.mainSource(), diags);
  if (!data) return std::nullopt;
  return std::move(data->test);
}

}  // namespace

std::optional<ReadyModel> prepareInference(const InferenceRequest& request, Diagnostics& diags, std::ostream& log) {
  std::optional<LoadedProgram> loaded = loadProgram(request.programPath, diags);
  if (!loaded) return std::nullopt;
  const frontend::ModelDef* model = chooseModel(loaded->program, request.model,
                                                fmt::format("'{}'", request.programPath), "--model", diags);
  if (!model) return std::nullopt;
  // The weights first: their checkpoint records the seed that held the
  // declared test data out.
  std::optional<runtime::Checkpoint> weights =
      runtime::loadCheckpoint(request.weightsPath, diags, modelTensors(*model));
  std::optional<runtime::Dataset> data;
  if (request.dataPath)
    data = runtime::loadCsvDataset(*request.dataPath, diags, dataLayout(loaded->program, *model, request.unlabelledData));
  else if (weights)
    data = declaredTestData(*loaded, *model, recordedSeed(*weights), diags);
  if (!data || !weights) return std::nullopt;
  if (std::string problem = weightsProblem(*weights, model->name); !problem.empty()) {
    diags.error(fmt::format("cannot use '{}' as weights: {}", request.weightsPath, problem));
    return std::nullopt;
  }
  if (!data->unlabelled()) checkTargets(*model, *data, nullptr, {}, "--data", diags);
  if (diags.hasErrors()) return std::nullopt;
  if (data->featureCount() != model->inputSize) {
    diags.error(fmt::format("'{}' has {} features per sample, but model '{}' takes input {}",
                            request.dataPath.value_or("the test data"), data->featureCount(), model->name,
                            model->inputSize));
    return std::nullopt;
  }

  bool fold = request.settings.pipeline.foldLinear;
  passes::TrainedParameters trained;
  if (fold) trained = trainedParameters(*weights);
  std::optional<ir::Graph> graph =
      compileModelGraph(*model, *loaded, request.settings, diags, log, fold ? &trained : nullptr);
  if (!graph) return std::nullopt;
  std::optional<NativeModel> native = compileNative(std::move(*graph), 0, diags);
  if (!native) return std::nullopt;
  // The parameters fold-linear made are loaded like the saved ones.
  for (auto& [name, value] : trained) {
    if (weights->find(name)) continue;
    runtime::Tensor tensor{runtime::Shape(value.shape)};
    std::copy(value.values.begin(), value.values.end(), tensor.data());
    weights->tensors.push_back({name, std::move(tensor)});
  }
  loadParameters(*weights, fmt::format("'{}'", request.weightsPath), fmt::format("model '{}'", model->name),
                 native->model->parameters(), diags);
  if (diags.hasErrors()) return std::nullopt;
  std::string name = model->name;
  std::optional<int64_t> batch = recordedBatch(*weights);
  return ReadyModel{std::move(*loaded), std::move(name), std::move(*native), std::move(*data), batch};
}

}  // namespace nnc::driver

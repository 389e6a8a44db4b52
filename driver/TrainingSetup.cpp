#include "driver/TrainingSetup.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/CsvReader.h"
#include "runtime/IdxReader.h"

namespace nnc::driver {

std::optional<runtime::Dataset> loadDataSource(const frontend::DataSource& source, int64_t targetColumns,
                                               Diagnostics& diags) {
  if (source.kind == frontend::DataSource::Kind::Idx) {
    if (targetColumns > 0) {
      diags.error(fmt::format("'{}': IDX labels are class indices, but the model compares real-valued targets; "
                              "give its data as csv(...)",
                              source.paths.at(1)));
      return std::nullopt;
    }
    return runtime::loadIdxDataset(source.paths.at(0), source.paths.at(1), diags);
  }
  runtime::CsvOptions options;
  options.labelColumn = static_cast<int>(source.labelColumn);
  options.targetColumns = targetColumns;
  return runtime::loadCsvDataset(source.paths.at(0), diags, options);
}

runtime::OptimizerSettings optimizerSettings(const frontend::OptimizerDef& def) {
  runtime::OptimizerSettings settings;
  switch (def.kind) {
    case frontend::OptimizerDef::Kind::SGD: settings.kind = runtime::OptimizerSettings::Kind::SGD; break;
    case frontend::OptimizerDef::Kind::Adam: settings.kind = runtime::OptimizerSettings::Kind::Adam; break;
    case frontend::OptimizerDef::Kind::AdamW: settings.kind = runtime::OptimizerSettings::Kind::AdamW; break;
    case frontend::OptimizerDef::Kind::RMSprop: settings.kind = runtime::OptimizerSettings::Kind::RMSprop; break;
  }
  settings.nesterov = def.nesterov != 0;
  settings.alpha = static_cast<float>(def.alpha);
  settings.learningRate = static_cast<float>(def.learningRate);
  settings.momentum = static_cast<float>(def.momentum);
  settings.weightDecay = static_cast<float>(def.weightDecay);
  settings.beta1 = static_cast<float>(def.beta1);
  settings.beta2 = static_cast<float>(def.beta2);
  settings.epsilon = static_cast<float>(def.epsilon);
  auto single = [](const std::optional<double>& v) { return v ? std::optional<float>(static_cast<float>(*v)) : std::nullopt; };
  settings.biasWeightDecay = single(def.biasWeightDecay);
  settings.activationLearningRate = single(def.activationLearningRate);
  settings.activationWeightDecay = single(def.activationWeightDecay);
  return settings;
}

runtime::LearningRateSchedule learningRateSchedule(const frontend::ScheduleDef& def) {
  runtime::LearningRateSchedule schedule;
  switch (def.kind) {
    case frontend::ScheduleDef::Kind::None: schedule.kind = runtime::LearningRateSchedule::Kind::Constant; break;
    case frontend::ScheduleDef::Kind::Step: schedule.kind = runtime::LearningRateSchedule::Kind::Step; break;
    case frontend::ScheduleDef::Kind::Cosine: schedule.kind = runtime::LearningRateSchedule::Kind::Cosine; break;
    case frontend::ScheduleDef::Kind::Plateau: schedule.kind = runtime::LearningRateSchedule::Kind::Plateau; break;
  }
  schedule.stepSize = static_cast<int64_t>(def.stepSize);
  schedule.gamma = def.gamma;
  schedule.warmup = static_cast<int64_t>(def.warmup);
  schedule.minimum = def.minLearningRate;
  schedule.patience = static_cast<int64_t>(def.patience);
  return schedule;
}

std::vector<std::pair<std::string, double>> layerGradientNorms(const frontend::ModelDef& model,
                                                               const runtime::EpochReport& report) {
  std::vector<std::pair<std::string, double>> norms;
  for (const frontend::LayerDef& layer : model.layers)
    for (const runtime::GradientNorm& g : report.gradientNorms)
      if (g.parameter == layer.name + ".weight") norms.emplace_back(layer.name, g.rms);
  return norms;
}

runtime::TrainSettings trainSettings(const frontend::TrainingDef& training) {
  runtime::TrainSettings settings{training.epochs, training.batchSize, training.seed, 0};
  settings.schedule = learningRateSchedule(training.schedule);
  settings.clipGradientNorm = training.clipGradNorm;
  settings.patience = training.patience;
  return settings;
}

namespace {

// Where the data's images (IDX) have another shape than the model's image
// input of as many values (input x[1, 28, 28] against 14 x 56 images): why.
// Empty where they agree, or either side is not images.
std::string imageShapeProblem(const frontend::ModelDef& model, const runtime::Dataset& data) {
  const frontend::ValueDef* input = nullptr;
  int inputs = 0;
  for (const frontend::ValueDef& value : model.values)
    if (value.kind == frontend::ValueDef::Kind::Input && ++inputs == 1) input = &value;
  if (inputs != 1 || input->image.empty() || data.imageShape.empty() || data.imageShape == input->image) return "";
  return fmt::format("the data's images are [{}], but model '{}' takes input {}[{}]", fmt::join(data.imageShape, ", "),
                     model.name, input->name, fmt::join(input->image, ", "));
}

}  // namespace

void checkTargets(const frontend::ModelDef& model, const runtime::Dataset& data, const SourceBuffer* source,
                  SourceRange range, const char* what, Diagnostics& diags) {
  int64_t outputs = model.outputSize();
  auto error = [&](std::string message) { diags.error(source, range, std::move(message)); };
  if (model.targetSize > 0 || data.hasTargets()) {
    // The reader took the targets' columns as the model declares them.
    if (data.targetCount() != model.targetSize)
      error(fmt::format("the {} data has {} target columns, but model '{}' declares {}", what, data.targetCount(),
                        model.name, model.targetSize));
    return;
  }
  switch (model.loss) {
    case frontend::LossKind::CrossEntropy:
      if (outputs < 2)
        error(fmt::format("cross_entropy needs one output unit per class (at least 2), but model '{}' ends in {}",
                          model.name, outputs));
      else if (data.numClasses > outputs)
        error(fmt::format("the {} data has {} classes, but model '{}' ends in {} units", what, data.numClasses,
                          model.name, outputs));
      break;
    case frontend::LossKind::BCE:
    case frontend::LossKind::BCEWithLogits:
      if (outputs != 1)
        error(fmt::format("{} needs one output unit (the probability of class 1), but model '{}' ends in {}",
                          model.loss == frontend::LossKind::BCE ? "bce" : "bce_with_logits", model.name, outputs));
      else if (data.numClasses > 2)
        error(fmt::format("{} needs labels 0 and 1, but the {} data has {} classes",
                          model.loss == frontend::LossKind::BCE ? "bce" : "bce_with_logits", what, data.numClasses));
      break;
    case frontend::LossKind::MSE:
      if (outputs > 1 && data.numClasses > outputs)
        error(fmt::format("the {} data has {} classes, but model '{}' ends in {} units (mse compares with one-hot "
                          "labels)", what, data.numClasses, model.name, outputs));
      break;
    case frontend::LossKind::L1:
    case frontend::LossKind::Huber: break;  // real-valued targets only (checked above)
  }
}

std::optional<TrainingData> loadTrainingData(const frontend::ModelDef& model, const frontend::TrainingDef& training,
                                             const SourceBuffer* source, Diagnostics& diags) {
  // A data problem also points at the declaration that names the file.
  auto load = [&](const frontend::DataSource& data, const char* what) {
    size_t errorsBefore = diags.errorCount();
    std::optional<runtime::Dataset> loaded = loadDataSource(data, model.targetSize, diags);
    if (diags.errorCount() != errorsBefore)
      diags.note(source, data.range, fmt::format("while loading the {} data of `train {}`", what, training.model));
    return loaded;
  };
  std::optional<runtime::Dataset> trainData = load(training.data, "training");
  std::optional<runtime::Dataset> testData;
  if (training.test) testData = load(*training.test, "test");
  if (!trainData || (training.test && !testData)) return std::nullopt;
  if (!testData) testData = runtime::splitOff(*trainData, training.testFraction, training.seed);

  size_t errorsBefore = diags.errorCount();
  if (trainData->featureCount() != model.inputSize)
    diags.error(source, training.data.range,
                fmt::format("the data has {} features per sample, but model '{}' takes input {}",
                            trainData->featureCount(), model.name, model.inputSize));
  else if (std::string problem = imageShapeProblem(model, *trainData); !problem.empty())
    diags.error(source, training.data.range, problem);
  checkTargets(model, *trainData, source, training.data.range, "training", diags);
  if (training.test) checkTargets(model, *testData, source, training.test->range, "test", diags);
  if (trainData->sampleCount() == 0 || testData->sampleCount() == 0) {
    bool trainEmpty = trainData->sampleCount() == 0;
    const frontend::DataSource& where = !trainEmpty && training.test ? *training.test : training.data;
    diags.error(source, where.range,
                fmt::format("the {} data is empty{}", trainEmpty ? "training" : "test",
                            training.test ? "" : fmt::format(" after holding out test_fraction = {} of {} samples",
                                                             training.testFraction,
                                                             trainData->sampleCount() + testData->sampleCount())));
  }
  if (testData->featureCount() != trainData->featureCount())
    diags.error(source, training.test ? training.test->range : training.data.range,
                fmt::format("the test data has {} features per sample, the training data {}",
                            testData->featureCount(), trainData->featureCount()));
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return TrainingData{std::move(*trainData), std::move(*testData)};
}

}  // namespace nnc::driver

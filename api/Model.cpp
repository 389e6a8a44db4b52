// The public library (include/nnc/nnc.h) over the compiler: the same steps
// as `nnc train`, with diagnostics returned instead of printed.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>

#include <fmt/format.h>

#include "nnc/nnc.h"

#include "backend/CompiledModel.h"
#include "driver/Checkpoints.h"
#include "driver/Compilation.h"
#include "driver/ModelChoice.h"
#include "driver/Program.h"
#include "driver/TrainingSetup.h"
#include "frontend/TrainSema.h"
#include "runtime/Checkpoint.h"
#include "runtime/Trainer.h"
#include "support/LargeStack.h"

namespace nnc {

namespace {

Message::Severity severity(Severity s) {
  switch (s) {
    case Severity::Error: return Message::Severity::Error;
    case Severity::Warning: return Message::Severity::Warning;
    case Severity::Note: return Message::Severity::Note;
  }
  return Message::Severity::Error;
}

Status statusOf(const Diagnostics& diags) {
  std::vector<Message> messages;
  for (const Diagnostic& d : diags.all())
    messages.push_back({severity(d.severity), d.file, static_cast<int>(d.range.begin.line),
                        static_cast<int>(d.range.begin.column), d.message, renderDiagnostic(d)});
  return Status(std::move(messages));
}

}  // namespace

Status::Status(std::vector<Message> messages) : messages_(std::move(messages)) {}

Status Status::error(std::string message) {
  Diagnostics diags;
  diags.error(std::move(message));
  return statusOf(diags);
}

bool Status::ok() const {
  return std::none_of(messages_.begin(), messages_.end(),
                      [](const Message& m) { return m.severity == Message::Severity::Error; });
}

std::string Status::text() const {
  std::string out;
  for (const Message& m : messages_) out += m.rendered;
  return out;
}

struct Model::Impl {
  driver::LoadedProgram loaded;
  const frontend::ModelDef* def = nullptr;
  std::optional<frontend::TrainingDef> training;
  driver::NativeModel native;
  std::unique_ptr<runtime::Optimizer> optimizer;
  // Workspaces for concurrent predict() calls, reused.
  mutable std::mutex poolLock;
  mutable std::vector<backend::CompiledModel::WorkspacePtr> pool;

  runtime::ParameterRef* find(std::vector<runtime::ParameterRef>& parameters, const std::string& name) {
    for (runtime::ParameterRef& p : parameters)
      if (p.name == name) return &p;
    return nullptr;
  }
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

// Builds Models (it may use the private constructor and Impl).
struct ModelFactory {
  static CompileResult compile(std::optional<driver::LoadedProgram> loaded, const CompileOptions& options,
                               Diagnostics& diags);
};

namespace {

// Compiling recurses over formulas (parser, simplifier, derivatives): it runs
// on a thread with a stack of its own, not the caller's, whose size the
// library cannot know (a 199-deep formula overflowed a 256 KB one).
CompileResult compileOnLargeStack(const std::function<std::optional<driver::LoadedProgram>(Diagnostics&)>& load,
                                  const CompileOptions& options) {
  CompileResult result;
  runWithLargeStack([&] {
    Diagnostics diags;
    std::optional<driver::LoadedProgram> loaded = load(diags);
    result = ModelFactory::compile(std::move(loaded), options, diags);
  });
  return result;
}

}  // namespace

CompileResult Model::compileFile(const std::string& path, const CompileOptions& options) {
  return compileOnLargeStack([&](Diagnostics& diags) { return driver::loadProgram(path, diags); }, options);
}

CompileResult Model::compileString(const std::string& text, const std::string& name, const CompileOptions& options) {
  return compileOnLargeStack([&](Diagnostics& diags) { return driver::loadProgramText(name, text, diags); }, options);
}

CompileResult ModelFactory::compile(std::optional<driver::LoadedProgram> loaded, const CompileOptions& options,
                                    Diagnostics& diags) {
  CompileResult result;
  auto fail = [&] {
    result.status = statusOf(diags);
    return std::move(result);
  };
  if (!loaded) return fail();
  auto impl = std::make_unique<Model::Impl>();
  impl->loaded = std::move(*loaded);
  const frontend::Program& p = impl->loaded.program;
  impl->def = driver::chooseModel(p, options.model.empty() ? std::nullopt : std::optional(options.model),
                                  "the program", "CompileOptions::model", diags);
  if (!impl->def) return fail();
  if (const frontend::TrainingDef* training = driver::trainingFor(p, impl->def->name, diags))
    impl->training = *training;
  if (options.optimizationLevel < 0 || options.optimizationLevel > 3)
    diags.error(fmt::format("optimization level {} is not 0 to 3", options.optimizationLevel));
  // As the optimiser uses it, in float32 (NaN or a negative rate was
  // silently replaced by the file's; 1e-320 is 0 there).
  if (options.learningRate != 0 && !frontend::isUsableLearningRate(options.learningRate))
    diags.error(fmt::format("learningRate {} is not 0 (the file's) or a positive number that float32 holds",
                            options.learningRate));
  if (diags.hasErrors()) return fail();
  driver::CompilerSettings settings;
  settings.pipeline.optimizationLevel = options.optimizationLevel;
  settings.lints.warningsAreErrors = options.warningsAreErrors;
  std::ostringstream log;  // --print-after and --stats are CLI features: nothing is written
  std::optional<ir::Graph> graph = driver::compileModelGraph(*impl->def, impl->loaded, settings, diags, log);
  if (!graph) return fail();
  std::optional<driver::NativeModel> native = driver::compileNative(std::move(*graph), options.seed, diags);
  if (!native) return fail();
  impl->native = std::move(*native);
  frontend::OptimizerDef optimizer = impl->training ? impl->training->optimizer : frontend::OptimizerDef{};
  if (options.learningRate > 0) optimizer.learningRate = options.learningRate;
  impl->optimizer = std::make_unique<runtime::Optimizer>(driver::optimizerSettings(optimizer));
  result.model.reset(new Model(std::move(impl)));
  result.status = statusOf(diags);  // the warnings
  return result;
}

const std::string& Model::name() const { return impl_->def->name; }
int64_t Model::inputSize() const { return impl_->def->inputSize; }
int64_t Model::outputSize() const { return impl_->def->outputSize(); }

Status Model::predict(std::span<const float> input, std::span<float> output) const {
  int64_t features = inputSize();
  if (input.size() % static_cast<size_t>(features) != 0)
    return Status::error(fmt::format("predict: {} input values are not whole rows of {} features", input.size(), features));
  int64_t rows = static_cast<int64_t>(input.size()) / features;
  if (output.size() != static_cast<size_t>(rows * outputSize()))
    return Status::error(fmt::format("predict: the output holds {} values; {} rows of {} outputs need {}",
                                     output.size(), rows, outputSize(), rows * outputSize()));
  backend::CompiledModel::WorkspacePtr workspace;
  {
    std::lock_guard<std::mutex> lock(impl_->poolLock);
    if (!impl_->pool.empty()) {
      workspace = std::move(impl_->pool.back());
      impl_->pool.pop_back();
    }
  }
  if (!workspace) workspace = impl_->native.model->newWorkspace();
  const runtime::Tensor& y = impl_->native.model->predict(input, rows, *workspace);
  std::copy(y.data(), y.data() + y.size(), output.begin());
  std::lock_guard<std::mutex> lock(impl_->poolLock);
  impl_->pool.push_back(std::move(workspace));
  return {};
}

Status Model::trainStep(std::span<const float> input, std::span<const int32_t> labels, double* loss) {
  if (impl_->def->targetSize > 0)
    return Status::error(fmt::format("trainStep: model '{}' compares real-valued targets, and trainStep takes class "
                                     "labels; train it with Model::train",
                                     name()));
  int64_t features = inputSize();
  if (labels.empty() || input.size() != labels.size() * static_cast<size_t>(features))
    return Status::error(fmt::format("trainStep: {} input values and {} labels are not rows of {} features, one "
                                     "label each", input.size(), labels.size(), features));
  // The labels the loss can read: a class per output for cross_entropy
  // (and mse with several outputs), 0 or 1 for the bce losses.
  bool binary = impl_->def->loss == frontend::LossKind::BCE || impl_->def->loss == frontend::LossKind::BCEWithLogits;
  bool anyValue = impl_->def->loss == frontend::LossKind::MSE && outputSize() == 1;
  int64_t classes = binary ? 2 : outputSize();
  for (int32_t label : labels)
    if (!anyValue && (label < 0 || label >= classes))
      return Status::error(fmt::format("trainStep: label {} is not one of the model's classes 0 to {}", label,
                                       classes - 1));
  runtime::Tensor x({static_cast<int64_t>(labels.size()), features});
  std::copy(input.begin(), input.end(), x.data());
  double value = impl_->native.model->trainStep(x, labels);
  std::vector<runtime::ParameterRef> parameters = impl_->native.model->parameters();
  bool finite = std::isfinite(value);
  for (const runtime::ParameterRef& p : parameters) finite = finite && runtime::allFinite(*p.gradient);
  if (!finite) {
    std::optional<std::string> layer = impl_->native.model->firstNonFiniteLayer(x, labels);
    return Status::error(fmt::format("trainStep: the loss or a gradient is not finite{}; the parameters were not "
                                     "updated",
                                     layer ? fmt::format(" (first in layer '{}')", *layer) : ""));
  }
  // The update itself may overflow (a learning rate far too large): the
  // parameters are then not finite, and the step failed.
  if (!impl_->optimizer->step(parameters))
    return Status::error("trainStep: the update made parameters non-finite (is the learning rate too large?); the "
                         "model cannot be trained further from them");
  if (loss) *loss = value;
  return {};
}

Status Model::train(const TrainOptions& options) {
  Diagnostics diags;
  if (!impl_->training) {
    diags.error(fmt::format("model '{}' has no `train` declaration naming its data", name()));
    return statusOf(diags);
  }
  const frontend::TrainingDef& training = *impl_->training;
  std::optional<driver::TrainingData> data =
      driver::loadTrainingData(*impl_->def, training, impl_->loaded.mainSource(), diags);
  if (!data) return statusOf(diags);
  runtime::TrainSettings settings = driver::trainSettings(training);
  if (options.epochs > 0) settings.epochs = options.epochs;
  runtime::TrainEvents events;
  events.epochDone = [&](const runtime::EpochReport& r) {
    if (!options.onEpoch) return true;
    return options.onEpoch(
        {r.epoch, r.epochs, r.trainLoss, r.test.loss, r.test.accuracy, r.seconds, r.test.rmse, r.test.r2});
  };
  runtime::TrainResult result =
      runtime::train(*impl_->native.model, *impl_->optimizer, data->train, data->test, settings, events);
  if (!result.error.empty()) diags.error(result.error);
  return statusOf(diags);
}

std::vector<ParameterInfo> Model::parameters() const {
  std::vector<ParameterInfo> out;
  for (const runtime::ParameterRef& p : impl_->native.model->parameters()) out.push_back({p.name, p.value->shape()});
  return out;
}

Status Model::getParameter(const std::string& name, std::vector<float>& values) const {
  std::vector<runtime::ParameterRef> parameters = impl_->native.model->parameters();
  runtime::ParameterRef* p = impl_->find(parameters, name);
  if (!p) return Status::error(fmt::format("model '{}' has no parameter '{}'", this->name(), name));
  values.assign(p->value->data(), p->value->data() + p->value->size());
  return {};
}

Status Model::setParameter(const std::string& name, std::span<const float> values) {
  std::vector<runtime::ParameterRef> parameters = impl_->native.model->parameters();
  runtime::ParameterRef* p = impl_->find(parameters, name);
  if (!p) return Status::error(fmt::format("model '{}' has no parameter '{}'", this->name(), name));
  if (static_cast<int64_t>(values.size()) != p->value->size())
    return Status::error(fmt::format("parameter '{}' has {} values ({}), not {}", name, p->value->size(),
                                     p->value->shapeString(), values.size()));
  std::copy(values.begin(), values.end(), p->value->data());
  return {};
}

Status Model::save(const std::string& path) const {
  Diagnostics diags;
  runtime::saveCheckpoint(path, driver::makeCheckpoint(*impl_->native.model, *impl_->optimizer, 0, name()), diags);
  return statusOf(diags);
}

Status Model::load(const std::string& path) {
  // All or nothing: a checkpoint that fails part-way leaves the model as it was.
  std::vector<runtime::ParameterRef> parameters = impl_->native.model->parameters();
  std::vector<runtime::Tensor> before;
  for (const runtime::ParameterRef& p : parameters) before.push_back(*p.value);
  std::map<std::string, runtime::Tensor> optimizerBefore;
  for (const auto& [name, tensor] : impl_->optimizer->state()) optimizerBefore[name] = *tensor;
  Diagnostics diags;
  if (!driver::restore(path, name(), *impl_->native.model, *impl_->optimizer, diags)) {
    for (size_t i = 0; i < parameters.size(); ++i) *parameters[i].value = before[i];
    impl_->optimizer->restoreState(optimizerBefore, parameters);
  }
  return statusOf(diags);
}

}  // namespace nnc

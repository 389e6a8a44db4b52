#include "driver/Checkpoints.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace nnc::driver {

// Every parameter and the optimiser's state, named as PyTorch names them.
std::string weightsProblem(const runtime::Checkpoint& checkpoint, const std::string& modelName) {
  auto content = checkpoint.metadata.find("content");
  if (content != checkpoint.metadata.end() && content->second == "gradients")
    return "it holds gradients (written by nnc backprop), not weights";
  // Another model's checkpoint is fine if names and shapes fit (a renamed
  // model); those are checked tensor by tensor.
  (void)modelName;
  return "";
}

bool loadParameters(const runtime::Checkpoint& checkpoint, const std::string& source, const std::string& owner,
                    const std::vector<runtime::ParameterRef>& parameters, Diagnostics& diags) {
  size_t errorsBefore = diags.errorCount();
  for (const runtime::ParameterRef& p : parameters) {
    const runtime::Tensor* saved = checkpoint.find(p.name);
    if (!saved) {
      diags.error(fmt::format("{} has no tensor '{}' for {}", source, p.name, owner));
    } else if (saved->shape() != p.value->shape()) {
      diags.error(fmt::format("{}: '{}' has shape {}, the model needs {}", source, p.name, saved->shapeString(),
                              p.value->shapeString()));
    } else {
      *p.value = *saved;
      // Outputs computed from such a value are not finite either: said at
      // load, by name, rather than as a column of nan.
      const float* values = saved->data();
      for (int64_t i = 0; i < saved->size(); ++i)
        if (!std::isfinite(values[i])) {
          diags.warning(nullptr, {},
                        fmt::format("{}: '{}' holds {} at element {}; what is computed from it will not be finite",
                                    source, p.name, values[i], i));
          break;
        }
    }
  }
  return diags.errorCount() == errorsBefore;
}

runtime::Checkpoint makeCheckpoint(backend::CompiledModel& model, runtime::Optimizer& optimizer, int64_t epoch,
                                   const std::string& modelName, const runtime::TestLossWatch* watch) {
  runtime::Checkpoint checkpoint;
  for (const runtime::ParameterRef& p : model.parameters()) checkpoint.tensors.push_back({p.name, *p.value});
  for (auto& [name, tensor] : optimizer.state()) checkpoint.tensors.push_back({name, *tensor});
  checkpoint.metadata["epoch"] = std::to_string(epoch);
  checkpoint.metadata["model"] = modelName;
  if (watch) watch->writeTo(checkpoint.metadata);
  return checkpoint;
}

void recordTrainingRun(runtime::Checkpoint& checkpoint, const frontend::TrainingDef& training) {
  checkpoint.metadata["seed"] = std::to_string(training.seed);
  checkpoint.metadata["batch"] = std::to_string(training.batchSize);
}

namespace {

template <typename T>
std::optional<T> recordedNumber(const runtime::Checkpoint& checkpoint, const char* key) {
  auto found = checkpoint.metadata.find(key);
  if (found == checkpoint.metadata.end()) return std::nullopt;
  T value{};
  const std::string& text = found->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<uint64_t> recordedSeed(const runtime::Checkpoint& checkpoint) {
  return recordedNumber<uint64_t>(checkpoint, "seed");
}

std::optional<int64_t> recordedBatch(const runtime::Checkpoint& checkpoint) {
  std::optional<int64_t> batch = recordedNumber<int64_t>(checkpoint, "batch");
  return batch && *batch > 0 ? batch : std::nullopt;
}

passes::TrainedParameters trainedParameters(const runtime::Checkpoint& checkpoint) {
  passes::TrainedParameters out;
  for (const runtime::NamedTensor& t : checkpoint.tensors)
    out[t.name] = {ir::TensorShape(t.tensor.shape().begin(), t.tensor.shape().end()),
                   std::vector<float>(t.tensor.data(), t.tensor.data() + t.tensor.size())};
  return out;
}

runtime::TensorFilter modelTensors(const frontend::ModelDef& model) {
  std::vector<std::string> prefixes;
  for (const frontend::LayerDef& layer : model.layers) prefixes.push_back(layer.name + ".");
  // A formula of values owns the learnable parameters of what it calls ("g.beta").
  for (const frontend::ValueDef& value : model.values)
    if (!value.learnable.empty() || value.kind == frontend::ValueDef::Kind::LayerNorm ||
        value.kind == frontend::ValueDef::Kind::Conv2d || value.kind == frontend::ValueDef::Kind::BatchNorm ||
        value.kind == frontend::ValueDef::Kind::Embedding)
      prefixes.push_back(value.name + ".");
  return [prefixes](std::string_view name) {
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return name.starts_with(p); });
  };
}

std::optional<int64_t> restore(const std::string& path, const std::string& modelName, backend::CompiledModel& model,
                               runtime::Optimizer& optimizer, Diagnostics& diags, runtime::TestLossWatch* watch) {
  // The model's parameters and the optimiser's state; nothing else is read.
  std::set<std::string, std::less<>> names;
  for (const runtime::ParameterRef& p : model.parameters()) names.insert(p.name);
  auto wanted = [&](std::string_view name) { return names.count(name) > 0 || name.starts_with("optimizer."); };
  std::optional<runtime::Checkpoint> checkpoint = runtime::loadCheckpoint(path, diags, wanted);
  if (!checkpoint) return std::nullopt;
  if (std::string problem = weightsProblem(*checkpoint, modelName); !problem.empty()) {
    diags.error(fmt::format("cannot resume from '{}': {}", path, problem));
    return std::nullopt;
  }
  if (!loadParameters(*checkpoint, fmt::format("checkpoint '{}'", path), "this model", model.parameters(), diags))
    return std::nullopt;  // the optimiser's state would only repeat the mismatch
  std::map<std::string, runtime::Tensor> state;
  for (const runtime::NamedTensor& t : checkpoint->tensors)
    if (t.name.rfind("optimizer.", 0) == 0) state[t.name] = t.tensor;
  if (std::string problem = optimizer.restoreState(state, model.parameters()); !problem.empty())
    diags.error(fmt::format("checkpoint '{}' is invalid: {}", path, problem));
  int64_t epoch = 0;
  if (auto found = checkpoint->metadata.find("epoch"); found != checkpoint->metadata.end()) {
    const std::string& text = found->second;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), epoch);
    if (error != std::errc() || end != text.data() + text.size() || epoch < 0)
      diags.error(fmt::format("checkpoint '{}' is invalid: its epoch '{}' is not a whole number of epochs", path, text));
  }
  if (watch) {
    std::optional<runtime::TestLossWatch> saved = runtime::TestLossWatch::readFrom(checkpoint->metadata);
    if (!saved) diags.error(fmt::format("checkpoint '{}' is invalid: its record of the test loss is malformed", path));
    else *watch = *saved;
  }
  if (diags.hasErrors()) return std::nullopt;
  return epoch;
}

}  // namespace nnc::driver

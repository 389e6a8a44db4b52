#include "driver/TrainingMemory.h"

#include <unistd.h>

#include <array>

#include <fmt/format.h>

namespace nnc::driver {

namespace {

// "1.5 GiB": bytes in binary units, for people.
std::string humanBytes(double bytes) {
  constexpr std::array<const char*, 6> kUnits = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} bytes", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

}  // namespace

TrainingMemory estimateTrainingMemory(const frontend::ModelDef& model, const frontend::TrainingDef& training) {
  constexpr double kFloat = 4;
  // Each parameter has its value and gradient, Adam and AdamW two moments,
  // RMSprop its average of squares, and SGD and RMSprop with momentum a
  // momentum buffer.
  double copies = 2;
  switch (training.optimizer.kind) {
    case frontend::OptimizerDef::Kind::Adam:
    case frontend::OptimizerDef::Kind::AdamW: copies += 2; break;
    case frontend::OptimizerDef::Kind::RMSprop: copies += 1 + (training.optimizer.momentum != 0); break;
    case frontend::OptimizerDef::Kind::SGD: copies += training.optimizer.momentum != 0; break;
  }
  // Every value is a batch-sized tensor; a layer's weights are counted at
  // its first application, with the width of what it reads.
  double parameters = 0, widths = static_cast<double>(model.inputSize);
  std::vector<bool> counted(model.layers.size(), false);
  for (const frontend::ValueDef& value : model.values) {
    if (value.kind != frontend::ValueDef::Kind::Input) widths += static_cast<double>(value.width);
    parameters += static_cast<double>(value.learnable.size());
    if (value.kind != frontend::ValueDef::Kind::Dense || counted[value.layer]) continue;
    counted[value.layer] = true;
    const frontend::LayerDef& layer = model.layers[value.layer];
    double units = static_cast<double>(layer.units), fanIn = static_cast<double>(model.values[value.operands[0]].width);
    parameters += fanIn * units + units;
    for (const frontend::LayerActivation& a : layer.activations)
      for (const frontend::LearnableParameter& p : a.learnable)
        parameters += p.perUnit ? static_cast<double>(a.units) : 1;
  }
  // Forward keeps each layer's pre-activation and output for backward, and
  // backward has a gradient of the same size: about three copies.
  constexpr double kActivationCopies = 3;
  TrainingMemory memory;
  memory.parameterBytes = parameters * kFloat * copies;
  memory.activationBytes = static_cast<double>(training.batchSize) * widths * kFloat * kActivationCopies;
  return memory;
}

std::optional<double> physicalMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0) return std::nullopt;
  return static_cast<double>(pages) * static_cast<double>(pageSize);
}

bool checkTrainingMemory(const frontend::ModelDef& model, const frontend::TrainingDef& training, double available,
                         const SourceBuffer* source, Diagnostics& diags) {
  TrainingMemory memory = estimateTrainingMemory(model, training);
  if (memory.total() <= available) return true;
  diags.error(source, model.range,
              fmt::format("training model '{}' needs about {:.0f} bytes ({}) of memory: {} for the parameters, their "
                          "gradients and the optimiser's state, {} for the activations of a batch of {}; this machine "
                          "has {}",
                          model.name, memory.total(), humanBytes(memory.total()), humanBytes(memory.parameterBytes),
                          humanBytes(memory.activationBytes), training.batchSize, humanBytes(available)));
  return false;
}

}  // namespace nnc::driver

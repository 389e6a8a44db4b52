#pragma once
// Optimisers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW and
// RMSprop), so a model trained here and one trained there follow the same
// maths.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/Tensor.h"

namespace nnc::runtime {

struct OptimizerSettings {
  enum class Kind { SGD, Adam, AdamW, RMSprop };
  Kind kind = Kind::Adam;
  float learningRate = 1e-3f;
  float momentum = 0;      // SGD, RMSprop; 0 is none
  bool nesterov = false;   // SGD: Nesterov momentum (needs momentum)
  float beta1 = 0.9f;      // Adam, AdamW
  float beta2 = 0.999f;    // Adam, AdamW
  float alpha = 0.99f;     // RMSprop: decay of the average of squared gradients
  float epsilon = 1e-8f;   // Adam, AdamW, RMSprop
  // SGD, Adam, RMSprop: L2, weightDecay * w added to the gradient. AdamW:
  // decoupled, w shrinks by lr * weightDecay * w before the Adam step.
  float weightDecay = 0;
  // Parameter groups (torch's param_groups): the weight decay of biases,
  // and the learning rate and weight decay of learnable activation
  // parameters, where they differ from the above. The activations' rate
  // follows a schedule in proportion (as torch's schedulers scale every
  // group's rate).
  std::optional<float> biasWeightDecay = {}, activationLearningRate = {}, activationWeightDecay = {};
};

// What a parameter is to the optimiser's groups. A Statistic (batchnorm's
// running mean and variance) is the model's state, updated by its forward
// pass while training: checkpoints keep it, the optimiser never touches it.
enum class ParameterRole { Weight, Bias, Activation, Statistic };

// "sgd", "adam", "adamw", "rmsprop": as checkpoints name its state.
const char* optimizerName(OptimizerSettings::Kind kind);

// A trainable tensor and its gradient, both owned by the model.
struct ParameterRef {
  std::string name;
  Tensor* value;
  const Tensor* gradient;
  ParameterRole role = ParameterRole::Weight;
};

class Optimizer {
public:
  explicit Optimizer(OptimizerSettings settings)
      : settings_(settings),
        activationRateRatio_(settings.activationLearningRate ? *settings.activationLearningRate / settings.learningRate
                                                             : 1) {}

  // One update of every parameter from its gradient, on the thread pool
  // (runtime/Parallel.h; elementwise, so the same whatever the number of
  // threads). Returns false if some updated value is not finite.
  // `gradientScale` multiplies every gradient first (clipping by norm).
  bool step(const std::vector<ParameterRef>& parameters, float gradientScale = 1);
  // For a schedule: the rate of the steps from now on.
  void setLearningRate(float rate) { settings_.learningRate = rate; }

  // The optimiser's state (moments, step count) as named tensors, for
  // checkpoints: `optimizer.<kind>.<slot>.<parameter>`. Restoring it makes a
  // resumed run continue exactly where it stopped.
  std::map<std::string, Tensor*> state();
  // Loads what state() exported (from a checkpoint) into this optimiser,
  // after checking it fits `parameters` (shapes, a whole non-negative step
  // count, slots of this optimiser's kind, finite moments, second moments
  // not below 0). Returns "" or what is wrong.
  //
  // The step count is stored exactly: as [steps / 2^24, steps % 2^24], two
  // whole numbers float32 holds exactly (one float lost steps past 2^24).
  // A one-value count, from earlier checkpoints, is read if it is at most
  // 2^24.
  std::string restoreState(const std::map<std::string, Tensor>& saved, const std::vector<ParameterRef>& parameters);
  int64_t steps() const { return steps_; }
  const OptimizerSettings& settings() const { return settings_; }

private:
  Tensor& slot(const std::string& kind, const ParameterRef& p);
  void storeStepCount();  // steps_ into stepCounter_, as restoreState reads it
  // The settings a parameter of `role` is updated with now.
  OptimizerSettings settingsFor(ParameterRole role) const;
  OptimizerSettings settings_;
  float activationRateRatio_;  // the activations' rate over the others', kept as a schedule changes both
  std::map<std::string, Tensor> slots_;
  Tensor stepCounter_{2};  // a tensor so it travels with the checkpoint (see restoreState)
  int64_t steps_ = 0;
};

}  // namespace nnc::runtime

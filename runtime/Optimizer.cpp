#include "runtime/Optimizer.h"

#include <cmath>

#include <fmt/format.h>

namespace nnc::runtime {

Tensor& Optimizer::slot(const std::string& kind, const ParameterRef& p) {
  auto [it, inserted] = slots_.try_emplace(kind + "." + p.name);
  if (inserted) it->second = Tensor(p.value->shape());
  return it->second;
}

void Optimizer::step(const std::vector<ParameterRef>& parameters) {
  steps_ = static_cast<int64_t>(stepCounter_[0]) + 1;
  stepCounter_[0] = static_cast<float>(steps_);
  // The settings as locals: read through `this`, the compiler would have to
  // reload them after every store to a float array, and could not vectorise.
  const OptimizerSettings s = settings_;
  for (const ParameterRef& p : parameters) {
    float* w = p.value->data();
    const float* g = p.gradient->data();
    int64_t n = p.value->size();
    if (s.kind == OptimizerSettings::Kind::SGD) {
      // v = momentum*v + (g + wd*w); w -= lr*v   (torch.optim.SGD, dampening 0)
      float* v = s.momentum != 0 ? slot("sgd.momentum", p).data() : nullptr;
      for (int64_t i = 0; i < n; ++i) {
        float grad = g[i] + s.weightDecay * w[i];
        if (v) {
          v[i] = steps_ == 1 ? grad : s.momentum * v[i] + grad;
          grad = v[i];
        }
        w[i] -= s.learningRate * grad;
      }
      continue;
    }
    // Adam: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    // w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
    float* m = slot("adam.m", p).data();
    float* v = slot("adam.v", p).data();
    const float correction1 = 1 - std::pow(s.beta1, static_cast<float>(steps_));
    const float correction2 = 1 - std::pow(s.beta2, static_cast<float>(steps_));
    const float stepSize = s.learningRate / correction1;
    const float rootCorrection2 = std::sqrt(correction2);
    const float beta1 = s.beta1, beta2 = s.beta2, epsilon = s.epsilon, weightDecay = s.weightDecay;
    for (int64_t i = 0; i < n; ++i) {
      float grad = g[i] + weightDecay * w[i];
      float mi = beta1 * m[i] + (1 - beta1) * grad;
      float vi = beta2 * v[i] + (1 - beta2) * grad * grad;
      m[i] = mi;
      v[i] = vi;
      w[i] -= stepSize * mi / (std::sqrt(vi) / rootCorrection2 + epsilon);
    }
  }
}

std::map<std::string, Tensor*> Optimizer::state() {
  std::map<std::string, Tensor*> out{{"optimizer.steps", &stepCounter_}};
  for (auto& [name, tensor] : slots_) out["optimizer." + name] = &tensor;
  return out;
}

std::string Optimizer::restoreState(const std::map<std::string, Tensor>& saved,
                                    const std::vector<ParameterRef>& parameters) {
  const std::string prefix = "optimizer.";
  const std::vector<std::string> kinds = settings_.kind == OptimizerSettings::Kind::SGD
                                             ? std::vector<std::string>{"sgd.momentum."}
                                             : std::vector<std::string>{"adam.m.", "adam.v."};
  std::map<std::string, Tensor> slots;
  Tensor counter{1};
  for (const auto& [name, tensor] : saved) {
    if (name == "optimizer.steps") {
      double steps = tensor.size() == 1 ? tensor[0] : -1;
      if (tensor.size() != 1 || !(steps >= 0) || steps != std::floor(steps))
        return fmt::format("'optimizer.steps' must hold one whole number of steps, not {} {}",
                           tensor.shapeString(), tensor.size() == 1 ? fmt::format("{}", tensor[0]) : "values");
      counter = tensor;
      continue;
    }
    std::string slot = name.substr(prefix.size());
    const ParameterRef* owner = nullptr;
    for (const std::string& kind : kinds)
      for (const ParameterRef& p : parameters)
        if (slot == kind + p.name) owner = &p;
    if (!owner) return fmt::format("'{}' is not state of this model's {} optimiser", name,
                                   settings_.kind == OptimizerSettings::Kind::SGD ? "sgd" : "adam");
    if (tensor.shape() != owner->value->shape())
      return fmt::format("'{}' has shape {}, but '{}' has {}", name, tensor.shapeString(), owner->name,
                         owner->value->shapeString());
    slots[slot] = tensor;
  }
  slots_ = std::move(slots);
  stepCounter_ = counter;
  steps_ = static_cast<int64_t>(stepCounter_[0]);
  return "";
}

}  // namespace nnc::runtime

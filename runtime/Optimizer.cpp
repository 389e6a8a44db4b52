#include "runtime/Optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "runtime/Parallel.h"

namespace nnc::runtime {

Tensor& Optimizer::slot(const std::string& kind, const ParameterRef& p) {
  auto [it, inserted] = slots_.try_emplace(kind + "." + p.name);
  if (inserted) it->second = Tensor(p.value->shape());
  return it->second;
}

namespace {

// One piece of one parameter's update, run by the thread pool.
struct Piece {
  float* w;
  const float* g;
  float scale;  // of g
  float* m;  // Adam's first moment, or the momentum buffer of SGD and RMSprop (null without momentum)
  float* v;  // Adam's second moment, or RMSprop's average of squared gradients
  int64_t begin, end;
};

// The state each optimiser keeps per parameter, as checkpoints name it
// (`optimizer.<slot>.<parameter>`); the squares are averages of squared
// gradients (never below 0).
struct Slots {
  const char* m;
  const char* v;
};
Slots slotsOf(const OptimizerSettings& s) {
  switch (s.kind) {
    case OptimizerSettings::Kind::SGD: return {s.momentum != 0 ? "sgd.momentum" : nullptr, nullptr};
    case OptimizerSettings::Kind::Adam: return {"adam.m", "adam.v"};
    case OptimizerSettings::Kind::AdamW: return {"adamw.m", "adamw.v"};
    case OptimizerSettings::Kind::RMSprop: return {s.momentum != 0 ? "rmsprop.momentum" : nullptr, "rmsprop.square_avg"};
  }
  return {nullptr, nullptr};
}

// Parameters are updated in pieces of this many elements, on the pool.
constexpr int64_t kPieceElements = int64_t{1} << 15;

bool nonFinite(float x) { return !(std::abs(x) <= std::numeric_limits<float>::max()); }

// The step count's two parts are below this, so float32 holds each exactly.
constexpr int64_t kStepCountBase = int64_t{1} << 24;

bool wholeNumberBelow(float v, int64_t limit) { return v >= 0 && v < static_cast<float>(limit) && v == std::floor(v); }

// The saved step count, or -1 if it is not a whole number of steps.
int64_t readStepCount(const Tensor& counter) {
  if (counter.size() == 1)  // an earlier checkpoint's single float, exact up to 2^24
    return wholeNumberBelow(counter[0], kStepCountBase + 1) ? static_cast<int64_t>(counter[0]) : -1;
  if (counter.size() == 2 && wholeNumberBelow(counter[0], kStepCountBase) && wholeNumberBelow(counter[1], kStepCountBase))
    return static_cast<int64_t>(counter[0]) * kStepCountBase + static_cast<int64_t>(counter[1]);
  return -1;
}

// What is wrong with a saved moment: a value that is not finite, or, for
// Adam's second moments (averages of squares), one below 0.
std::string momentProblem(const std::string& name, const Tensor& tensor, bool squares) {
  for (int64_t i = 0; i < tensor.size(); ++i) {
    if (nonFinite(tensor[i])) return fmt::format("'{}' holds {} at element {}", name, tensor[i], i);
    if (squares && tensor[i] < 0)
      return fmt::format("'{}' holds {} at element {}; {} averages of squares, never below 0", name, tensor[i], i,
                         name.find(".rmsprop.") != std::string::npos ? "RMSprop's square_avg values are"
                                                                     : "Adam's second moments are");
  }
  return "";
}

// Each update returns whether a new value is not finite, found in the same
// pass (an or-reduction, so the loop still vectorises). The settings come
// as a copy: read through a reference the compiler would have to reload
// them after every store to a float array, and could not vectorise.

// b = momentum*b + (g + wd*w); w -= lr*b, or with Nesterov
// w -= lr*(g + wd*w + momentum*b)   (torch.optim.SGD, dampening 0)
int sgd(const Piece& p, const OptimizerSettings s, bool first) {
  int bad = 0;
  for (int64_t i = p.begin; i < p.end; ++i) {
    float grad = p.scale * p.g[i] + s.weightDecay * p.w[i];
    if (p.m) {
      p.m[i] = first ? grad : s.momentum * p.m[i] + grad;
      grad = s.nesterov ? grad + s.momentum * p.m[i] : p.m[i];
    }
    p.w[i] -= s.learningRate * grad;
    bad |= nonFinite(p.w[i]);
  }
  return bad;
}

// sq = alpha*sq + (1-alpha)*g^2 (g with wd*w added); then w -= lr*g/(sqrt(sq) + eps),
// or with momentum b = momentum*b + g/(sqrt(sq) + eps); w -= lr*b   (torch.optim.RMSprop, not centred)
int rmsprop(const Piece& p, const OptimizerSettings s) {
  int bad = 0;
  for (int64_t i = p.begin; i < p.end; ++i) {
    float grad = p.scale * p.g[i] + s.weightDecay * p.w[i];
    p.v[i] = s.alpha * p.v[i] + (1 - s.alpha) * grad * grad;
    float step = grad / (std::sqrt(p.v[i]) + s.epsilon);
    if (p.m) {
      p.m[i] = s.momentum * p.m[i] + step;
      step = p.m[i];
    }
    p.w[i] -= s.learningRate * step;
    bad |= nonFinite(p.w[i]);
  }
  return bad;
}

// Adam: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
// w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
// AdamW first shrinks w: w -= lr*wd*w, and adds nothing to the gradient.
int adam(const Piece& p, const OptimizerSettings s, float stepSize, float rootCorrection2) {
  const float beta1 = s.beta1, beta2 = s.beta2, epsilon = s.epsilon;
  const bool decoupled = s.kind == OptimizerSettings::Kind::AdamW;
  const float weightDecay = decoupled ? 0 : s.weightDecay, shrink = decoupled ? 1 - s.learningRate * s.weightDecay : 1;
  int bad = 0;
  for (int64_t i = p.begin; i < p.end; ++i) {
    p.w[i] *= shrink;
    float grad = p.scale * p.g[i] + weightDecay * p.w[i];
    float mi = beta1 * p.m[i] + (1 - beta1) * grad;
    float vi = beta2 * p.v[i] + (1 - beta2) * grad * grad;
    p.m[i] = mi;
    p.v[i] = vi;
    p.w[i] -= stepSize * mi / (std::sqrt(vi) / rootCorrection2 + epsilon);
    bad |= nonFinite(p.w[i]);
  }
  return bad;
}

}  // namespace

const char* optimizerName(OptimizerSettings::Kind kind) {
  switch (kind) {
    case OptimizerSettings::Kind::SGD: return "sgd";
    case OptimizerSettings::Kind::Adam: return "adam";
    case OptimizerSettings::Kind::AdamW: return "adamw";
    case OptimizerSettings::Kind::RMSprop: return "rmsprop";
  }
  return "?";
}

OptimizerSettings Optimizer::settingsFor(ParameterRole role) const {
  OptimizerSettings s = settings_;
  if (role == ParameterRole::Bias && s.biasWeightDecay) s.weightDecay = *s.biasWeightDecay;
  if (role == ParameterRole::Activation) {
    s.learningRate *= activationRateRatio_;
    if (s.activationWeightDecay) s.weightDecay = *s.activationWeightDecay;
  }
  return s;
}

bool Optimizer::step(const std::vector<ParameterRef>& parameters, float gradientScale) {
  ++steps_;
  storeStepCount();
  const Slots names = slotsOf(settings_);
  // One settings per group; each piece of a parameter updates with its group's.
  const OptimizerSettings groups[] = {settingsFor(ParameterRole::Weight), settingsFor(ParameterRole::Bias),
                                      settingsFor(ParameterRole::Activation)};
  std::vector<Piece> pieces;
  std::vector<size_t> groupOf;
  for (const ParameterRef& p : parameters) {
    if (p.role == ParameterRole::Statistic) continue;
    float* m = names.m ? slot(names.m, p).data() : nullptr;
    float* v = names.v ? slot(names.v, p).data() : nullptr;
    for (int64_t begin = 0; begin < p.value->size(); begin += kPieceElements) {
      pieces.push_back({p.value->data(), p.gradient->data(), gradientScale, m, v, begin,
                        std::min(p.value->size(), begin + kPieceElements)});
      groupOf.push_back(static_cast<size_t>(p.role));
    }
  }
  const float correction1 = 1 - std::pow(settings_.beta1, static_cast<float>(steps_));
  const float correction2 = 1 - std::pow(settings_.beta2, static_cast<float>(steps_));
  const float rootCorrection2 = std::sqrt(correction2);
  std::vector<int> bad(pieces.size(), 0);
  parallelFor(static_cast<int64_t>(pieces.size()), [&](int64_t k) {
    const Piece& piece = pieces[static_cast<size_t>(k)];
    const OptimizerSettings s = groups[groupOf[static_cast<size_t>(k)]];
    int& pieceBad = bad[static_cast<size_t>(k)];
    switch (s.kind) {
      case OptimizerSettings::Kind::SGD: pieceBad = sgd(piece, s, steps_ == 1); break;
      case OptimizerSettings::Kind::Adam:
      case OptimizerSettings::Kind::AdamW: pieceBad = adam(piece, s, s.learningRate / correction1, rootCorrection2); break;
      case OptimizerSettings::Kind::RMSprop: pieceBad = rmsprop(piece, s); break;
    }
  });
  return std::none_of(bad.begin(), bad.end(), [](int b) { return b != 0; });
}

std::map<std::string, Tensor*> Optimizer::state() {
  std::map<std::string, Tensor*> out{{"optimizer.steps", &stepCounter_}};
  for (auto& [name, tensor] : slots_) out["optimizer." + name] = &tensor;
  return out;
}

std::string Optimizer::restoreState(const std::map<std::string, Tensor>& saved,
                                    const std::vector<ParameterRef>& parameters) {
  const std::string prefix = "optimizer.";
  const Slots names = slotsOf(settings_);
  std::vector<std::string> kinds;
  for (const char* name : {names.m, names.v})
    if (name) kinds.push_back(std::string(name) + ".");
  const std::string squares = names.v ? std::string(names.v) + "." : "";
  std::map<std::string, Tensor> slots;
  int64_t steps = 0;
  for (const auto& [name, tensor] : saved) {
    if (name == "optimizer.steps") {
      steps = readStepCount(tensor);
      if (steps < 0) {
        std::string values;
        for (int64_t i = 0; i < std::min<int64_t>(tensor.size(), 2); ++i) values += fmt::format(" {}", tensor[i]);
        return fmt::format("'optimizer.steps' must hold a whole number of steps (2^24 times its first value plus "
                           "its second, each a whole number below 2^24), not {}{}",
                           tensor.shapeString(), values.empty() ? " values" : values);
      }
      continue;
    }
    std::string slot = name.substr(prefix.size());
    const ParameterRef* owner = nullptr;
    for (const std::string& kind : kinds)
      for (const ParameterRef& p : parameters)
        if (slot == kind + p.name) owner = &p;
    if (!owner) return fmt::format("'{}' is not state of this model's {} optimiser", name, optimizerName(settings_.kind));
    if (tensor.shape() != owner->value->shape())
      return fmt::format("'{}' has shape {}, but '{}' has {}", name, tensor.shapeString(), owner->name,
                         owner->value->shapeString());
    if (std::string problem = momentProblem(name, tensor, !squares.empty() && slot.rfind(squares, 0) == 0);
        !problem.empty())
      return problem;
    slots[slot] = tensor;
  }
  slots_ = std::move(slots);
  steps_ = steps;
  storeStepCount();
  return "";
}

void Optimizer::storeStepCount() {
  stepCounter_[0] = static_cast<float>(steps_ / kStepCountBase);
  stepCounter_[1] = static_cast<float>(steps_ % kStepCountBase);
}

}  // namespace nnc::runtime

#pragma once
// What a checked .nn file says about networks and their training, ready to
// become a Graph (ir/Graph.h). Produced by Sema from `model` and `train`
// declarations; every part keeps its source range for diagnostics.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/Module.h"
#include "ir/Expr.h"
#include "ir/Graph.h"
#include "support/SourceBuffer.h"

namespace nnc::frontend {

// A learnable parameter of a layer's activation (PReLU's slope, Swish's beta).
struct LearnableParameter {
  std::string name;        // the Var in the activation body
  double initialValue = 0;
  bool perUnit = false;    // one value per unit (PReLU per channel) or one per layer
};

// One activation applied to a contiguous range of a layer's units. Non-learnable
// parameters are already substituted (defaults or call-site overrides); only
// learnable ones remain as Vars in `body`.
struct LayerActivation {
  std::string name;        // as written: "relu", "leaky_relu", "swish"
  std::string input;       // the Var of `body` that is the unit's pre-activation
  ir::ExprRef body = nullptr;
  std::vector<LearnableParameter> learnable;
  int64_t firstUnit = 0;
  int64_t units = 0;
  SourceRange range;
};

// dense NAME(UNITS, ACTIVATION...): y = act(x W^T + b), W [units, in], b [units]
// (PyTorch nn.Linear's layout; checkpoint names NAME.weight, NAME.bias).
struct LayerDef {
  std::string name;
  int64_t units = 0;
  std::vector<LayerActivation> activations;  // empty: linear (no activation), or softmax
  SourceRange range;
  bool softmax = false;                      // softmax over the layer's units (built in, row-wise)
  SourceRange softmaxRange{};
};

// The graph's loss kinds: the model only names one.
using LossKind = ir::LossKind;

// One named value of a model's graph, computed from earlier values. A
// stack model's values are its input and its layers, each reading the one
// before.
struct ValueDef {
  enum class Kind {
    Input,    // columns [firstColumn, firstColumn + width) of each sample's features
    Dense,    // layers[layer] applied to operands[0]
    Formula,  // formula(operands...) element by element, operand k bound to vars[k]
    Concat,   // the operands side by side
    Slice,    // columns [firstColumn, firstColumn + width) of operands[0]
    Softmax,    // softmax over each row of operands[0]
    LayerNorm,  // each row of operands[0] normalised, with a learnt scale and shift per feature (NAME.weight, NAME.bias)
    Conv2d,     // a convolution of the image operands[0] by `window` into image[0] channels (NAME.weight, NAME.bias)
    MaxPool2d,  // each `window` of the image operands[0]: its maximum
    AvgPool2d,  // each `window` of the image operands[0]: its mean
    GlobalAvgPool,  // each channel of the image operands[0]: its mean, as features [N, C]
    Reshape,    // operands[0]'s elements in this value's shape (flatten, reshape)
    BatchNorm,  // operands[0] normalised per channel (NAME.weight, NAME.bias; NAME.running_mean, NAME.running_var)
    Dropout,    // operands[0] with elements zeroed at `probability` while training
    Embedding,  // the rows of NAME.weight [vocabulary, dimension] operands[0]'s indices select, side by side
  };
  Kind kind = Kind::Input;
  std::string name;
  SourceRange range;                 // where it is defined (for a Formula, the formula)
  int64_t width = 0;                 // elements per sample
  std::vector<int64_t> image;        // an image's channels, height and width (C * H * W = width); empty: features
  ir::OpAttributes::Window window;   // Conv2d, MaxPool2d, AvgPool2d
  double momentum = 0.1, epsilon = 1e-5;  // BatchNorm
  double probability = 0;                 // Dropout
  int64_t vocabulary = 0, dimension = 0;  // Embedding
  std::vector<size_t> operands;      // indices of earlier values
  size_t layer = 0;                  // Dense
  int64_t firstColumn = 0;           // Input, Slice
  ir::ExprRef formula = nullptr;     // Formula
  std::vector<std::string> vars;     // Formula: the Var of each operand
  std::string activation;            // Formula: the activation it is one call of (`prelu(conv1)`), else empty
  std::vector<LearnableParameter> learnable;  // Formula: parameters of the activations it calls

  // [N, width], or [N, C, H, W] for an image
  ir::TensorShape shape() const {
    ir::TensorShape out = {ir::kBatch};
    if (image.empty()) out.push_back(width);
    out.insert(out.end(), image.begin(), image.end());
    return out;
  }

  static ValueDef of(Kind kind, std::string name, SourceRange range, int64_t width,
                     std::vector<size_t> operands = {}) {
    ValueDef value;
    value.kind = kind;
    value.name = std::move(name);
    value.range = range;
    value.width = width;
    value.operands = std::move(operands);
    return value;
  }
};

struct ModelDef {
  std::string name;
  int64_t inputSize = 0;             // features per sample: all inputs side by side
  std::vector<LayerDef> layers;      // the dense layers, in the order written
  std::vector<ValueDef> values;      // in an order where each reads only earlier ones
  size_t output = 0;                 // the value the loss reads
  int64_t targetSize = 0;            // real-valued targets per sample (target y[N]); 0: class labels
  LossKind loss = LossKind::CrossEntropy;
  SourceRange lossRange;
  SourceRange range;

  int64_t outputSize() const { return values[output].width; }
};

// Sets the values of a stack model from its input size and layers: the
// input, then each layer reading the one before; the loss reads the last.
void chainLayers(ModelDef& model);

struct DataSource {
  enum class Kind { Idx, Csv };
  Kind kind = Kind::Idx;
  std::vector<std::string> paths;  // idx: images, labels; csv: one file
  int64_t labelColumn = -1;        // csv: -1 is the last column
  SourceRange range;
};

// An optimiser as a `train` declaration names it, with PyTorch's defaults
// (AdamW's weight_decay 0.01 and RMSprop's lr 0.01 where theirs differ).
struct OptimizerDef {
  enum class Kind { SGD, Adam, AdamW, RMSprop };
  Kind kind = Kind::Adam;
  double learningRate = 1e-3;
  double momentum = 0;    // sgd, rmsprop
  double nesterov = 0;    // sgd: 1 for Nesterov momentum
  double weightDecay = 0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double alpha = 0.99;    // rmsprop
  // Parameter groups, from the train declaration's bias_weight_decay,
  // activation_lr and activation_weight_decay (unset: as the others).
  std::optional<double> biasWeightDecay = {}, activationLearningRate = {}, activationWeightDecay = {};
  SourceRange range;
};

// How the learning rate changes from epoch to epoch (none: constant).
struct ScheduleDef {
  enum class Kind { None, Step, Cosine, Plateau };
  Kind kind = Kind::None;
  double stepSize = 1, gamma = 0.1;           // step: lr * gamma^(epoch / stepSize), as torch's StepLR
  double warmup = 0, minLearningRate = 0;     // cosine: linear warmup, then CosineAnnealingLR towards min_lr
  double patience = 10;                       // plateau: lr * gamma (factor) after patience epochs without a
                                              // better test loss, not below min_lr (torch's ReduceLROnPlateau)
  SourceRange range;
};

struct TrainingDef {
  std::string model;
  SourceRange modelRange;
  DataSource data;
  std::optional<DataSource> test;  // none: hold out testFraction of data
  double testFraction = 0.1;
  OptimizerDef optimizer;
  ScheduleDef schedule;
  double clipGradNorm = 0;  // > 0: the gradients' total L2 norm is clipped to it (torch's clip_grad_norm_)
  int64_t patience = 0;     // > 0: stop after this many epochs without a better test loss (early stopping)
  int64_t batchSize = 128;
  int64_t epochs = 10;
  uint64_t seed = 1;
  SourceRange range;
};

struct Program {
  Module activations;             // declared and imported activations
  std::vector<ModelDef> models;
  std::vector<TrainingDef> trainings;
  // The text of the main file, then of each file it imports: the ranges
  // above point into them (those of models and trainings into sources[0]),
  // so later stages can report diagnostics there.
  std::vector<std::shared_ptr<const SourceBuffer>> sources;

  const ModelDef* model(std::string_view name) const {
    for (const ModelDef& m : models)
      if (m.name == name) return &m;
    return nullptr;
  }
};

}  // namespace nnc::frontend

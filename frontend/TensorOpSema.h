#pragma once
// The checks of a model's tensor operations that take sizes and settings, called on a value:
//   conv2d(x, CHANNELS, KERNEL, stride = 1, padding = 0, dilation = 1, groups = 1)
//   max_pool2d(x, KERNEL, stride = KERNEL, padding = 0), avg_pool2d(...)
//   global_avg_pool(x), flatten(x), reshape(x, CHANNELS, HEIGHT, WIDTH)
//   batchnorm(x, momentum = 0.1, eps = 1e-5), dropout(x, p = 0.5)   (features or images)
//   embedding(x, VOCABULARY, DIMENSION)   (x: indices [N, L] from the data)
// as torch.nn.Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1) + flatten,
// torch.flatten(x, 1), x.reshape(N, C, H, W), BatchNorm1d/2d, Dropout and
// Embedding (then flatten) define them.
#include <optional>
#include <string>

#include "frontend/AST.h"
#include "frontend/Model.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

bool isTensorOp(const std::string& name);

// What `call` makes of `input` (its first argument, already checked): the
// value's kind, width, image shape and window, without its name and
// operands; its parameters are added to `parameters`. Empty after
// reporting why not.
std::optional<ValueDef> checkTensorOp(const ast::Expr& call, const ValueDef& input, double& parameters,
                                     const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags);

// "[N, 8, 14, 14]" or "[N, 256]"
std::string shapeText(const ValueDef& value);

}  // namespace nnc::frontend

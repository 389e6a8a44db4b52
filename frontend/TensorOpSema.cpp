#include "frontend/TensorOpSema.h"

#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "frontend/ModelDeclSema.h"
#include "frontend/Sema.h"
#include "support/Spelling.h"

namespace nnc::frontend {

namespace {

// Each operation's positional arguments after the image, and the named
// ones it takes.
struct Signature {
  std::vector<const char*> positional;
  std::vector<const char*> named;
  const char* example;
};

const std::map<std::string, Signature>& signatures() {
  static const std::map<std::string, Signature> table = {
      {"conv2d",
       {{"channels", "kernel"}, {"stride", "padding", "dilation", "groups"}, "conv2d(x, 16, 3, padding = 1)"}},
      {"max_pool2d", {{"kernel"}, {"stride", "padding"}, "max_pool2d(x, 2)"}},
      {"avg_pool2d", {{"kernel"}, {"stride", "padding"}, "avg_pool2d(x, 2)"}},
      {"global_avg_pool", {{}, {}, "global_avg_pool(x)"}},
      {"flatten", {{}, {}, "flatten(x)"}},
      {"reshape", {{"channels", "height", "width"}, {}, "reshape(x, 1, 28, 28)"}},
      {"batchnorm", {{}, {"momentum", "eps"}, "batchnorm(x, momentum = 0.1)"}},
      {"dropout", {{}, {"p"}, "dropout(x, p = 0.5)"}},
      {"embedding", {{"vocabulary", "dimension"}, {}, "embedding(x, 1000, 16)"}},
  };
  return table;
}

class TensorOpChecker {
public:
  TensorOpChecker(const ast::Expr& call, const ValueDef& input, const SourceBuffer& source, ir::ExprContext& ctx,
                 Diagnostics& diags)
      : call_(call), input_(input), source_(source), ctx_(ctx), diags_(diags), signature_(signatures().at(call.text)) {}

  std::optional<ValueDef> run(double& parameters) {
    if (!readArguments()) return std::nullopt;
    ValueDef out;
    out.range = call_.range;
    if (call_.text == "reshape") return reshape(out);
    if (call_.text == "batchnorm") return batchNorm(out);
    if (call_.text == "dropout") return dropout(out);
    if (call_.text == "embedding") return embedding(out, parameters);
    if (input_.image.empty()) {
      error(call_.operands[0]->range,
            fmt::format("'{}' reads an image [N, C, H, W], but '{}' is {}; declare the input as one (input x[1, 28, "
                        "28];) or reshape it: reshape({}, C, H, W)",
                        call_.text, input_.name, shapeText(input_), input_.name));
      return std::nullopt;
    }
    const int64_t channels = input_.image[0], height = input_.image[1], width = input_.image[2];
    if (call_.text == "flatten") {
      out.kind = ValueDef::Kind::Reshape;
      out.width = input_.width;
      return out;
    }
    if (call_.text == "global_avg_pool") {
      out.kind = ValueDef::Kind::GlobalAvgPool;
      out.width = channels;
      if (height != width) {
        error(call_.range, fmt::format("global_avg_pool needs a square image; '{}' is {}", input_.name,
                                       shapeText(input_)));
        return std::nullopt;
      }
      out.window.kernel = out.window.stride = height;
      return out;
    }
    bool conv = call_.text == "conv2d";
    std::optional<int64_t> kernel = argument("kernel", 0, 1);
    if (!kernel) return std::nullopt;
    ir::OpAttributes::Window& w = out.window;
    w.kernel = *kernel;
    std::optional<int64_t> stride = argument("stride", conv ? 1 : *kernel, 1);
    std::optional<int64_t> padding = argument("padding", 0, 0);
    std::optional<int64_t> dilation = conv ? argument("dilation", 1, 1) : 1;
    std::optional<int64_t> groups = conv ? argument("groups", 1, 1) : 1;
    std::optional<int64_t> outChannels = conv ? argument("channels", 0, 1) : channels;
    if (!stride || !padding || !dilation || !groups || !outChannels) return std::nullopt;
    w.stride = *stride;
    w.padding = *padding;
    w.dilation = *dilation;
    w.groups = *groups;
    int64_t span = w.dilation * (w.kernel - 1) + 1;
    if (height + 2 * w.padding < span || width + 2 * w.padding < span) {
      error(call_.range, fmt::format("{}'s window spans {}x{} elements, more than '{}' ({}) padded by {}", call_.text,
                                     span, span, input_.name, shapeText(input_), w.padding));
      return std::nullopt;
    }
    if (!conv && w.padding * 2 > w.kernel) {
      error(namedRange("padding"), fmt::format("{}'s padding {} is more than half its window {} (as torch requires)",
                                               call_.text, w.padding, w.kernel));
      return std::nullopt;
    }
    if (conv && (channels % w.groups || *outChannels % w.groups)) {
      error(namedRange("groups"), fmt::format("conv2d's {} groups do not divide its {} input and {} output channels",
                                              w.groups, channels, *outChannels));
      return std::nullopt;
    }
    out.kind = conv ? ValueDef::Kind::Conv2d : call_.text == "max_pool2d" ? ValueDef::Kind::MaxPool2d
                                                                           : ValueDef::Kind::AvgPool2d;
    out.image = {*outChannels, w.outputSize(height), w.outputSize(width)};
    out.width = out.image[0] * out.image[1] * out.image[2];
    if (conv) {
      double count = static_cast<double>(*outChannels) * static_cast<double>(channels / w.groups) *
                         static_cast<double>(w.kernel * w.kernel) +
                     static_cast<double>(*outChannels);
      if (count > static_cast<double>(kMaxParameters)) {
        error(call_.range, fmt::format("conv2d would have {} parameters; nnc allows at most {} (2^31) per layer",
                                       count, kMaxParameters));
        return std::nullopt;
      }
      parameters += count;
    }
    if (static_cast<double>(out.width) > static_cast<double>(kMaxParameters)) {
      error(call_.range, fmt::format("{} would make {} elements per sample; nnc allows at most {}", call_.text,
                                     out.width, kMaxParameters));
      return std::nullopt;
    }
    return out;
  }

private:
  void error(SourceRange range, std::string message) { diags_.error(&source_, range, std::move(message)); }

  // Sorts the arguments after the image into positional and named ones,
  // reporting a wrong count, an unknown name or one given twice.
  bool readArguments() {
    bool ok = true;
    const std::vector<const char*>& positional = signature_.positional;
    for (size_t i = 1; i < call_.operands.size(); ++i) {
      const std::string& name = call_.argumentNames[i];
      if (name.empty()) {
        if (!named_.empty()) {
          error(call_.operands[i]->range, fmt::format("a positional argument of '{}' follows a named one", call_.text));
          ok = false;
        } else if (i - 1 < positional.size()) {
          given_[positional[i - 1]] = i;
        } else {
          error(call_.operands[i]->range,
                fmt::format("'{}' takes {}; e.g. {}", call_.text, takes(), signature_.example));
          ok = false;
        }
        continue;
      }
      named_.push_back(name);
      std::vector<std::string> known(signature_.named.begin(), signature_.named.end());
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string message = fmt::format("'{}' has no argument '{}'", call_.text, name);
        if (auto suggestion = closestSpelling(name, known)) message += fmt::format("; did you mean '{}'?", *suggestion);
        else if (!known.empty()) message += fmt::format("; it takes {}", fmt::join(known, ", "));
        error(call_.argumentNameRanges[i], message);
        ok = false;
      } else if (!given_.emplace(name, i).second) {
        error(call_.argumentNameRanges[i], fmt::format("'{}' is given twice", name));
        ok = false;
      }
    }
    for (const char* name : positional)
      if (ok && !given_.count(name)) {
        error(call_.range, fmt::format("'{}' takes {}, but no {} was given; e.g. {}", call_.text, takes(), name,
                                       signature_.example));
        ok = false;
      }
    return ok;
  }

  std::string takes() const {
    if (signature_.positional.empty()) return "one value";
    const std::vector<const char*>& names = signature_.positional;
    if (names.size() == 1) return fmt::format("a value, then its {}", names[0]);
    std::vector<const char*> first(names.begin(), names.end() - 1);
    return fmt::format("a value, then its {} and {}", fmt::join(first, ", "), names.back());
  }

  SourceRange namedRange(const char* name) const {
    auto found = given_.find(name);
    return found == given_.end() ? call_.range : call_.operands[found->second]->range;
  }

  // The whole number given for `name` (at least `least`), or `fallback`
  // where it is not given; empty after an error.
  std::optional<int64_t> argument(const char* name, int64_t fallback, int64_t least) {
    auto found = given_.find(name);
    if (found == given_.end()) return fallback;
    const ast::Expr& e = *call_.operands[found->second];
    std::optional<double> value = analyzeConstant(e, fmt::format("{}'s {}", call_.text, name), source_, ctx_, diags_);
    if (!value) return std::nullopt;
    if (*value < static_cast<double>(least) || *value != std::floor(*value) ||
        *value > static_cast<double>(kMaxParameters)) {
      error(e.range, fmt::format("{}'s {} must be a whole number, at least {}; found {}", call_.text, name, least,
                                 *value));
      return std::nullopt;
    }
    return static_cast<int64_t>(*value);
  }

  // batchnorm(x, momentum = 0.1, eps = 1e-5): per feature of [N, F], per
  // channel of an image.
  std::optional<ValueDef> batchNorm(ValueDef& out) {
    std::optional<double> momentum = real("momentum", 0.1), eps = real("eps", 1e-5);
    if (!momentum || !eps) return std::nullopt;
    if (!(*momentum >= 0 && *momentum <= 1)) {
      error(namedRange("momentum"), fmt::format("batchnorm's momentum must lie in [0, 1]; found {}", *momentum));
      return std::nullopt;
    }
    if (!(*eps > 0)) {
      error(namedRange("eps"), fmt::format("batchnorm's eps must be positive; found {}", *eps));
      return std::nullopt;
    }
    out.kind = ValueDef::Kind::BatchNorm;
    out.width = input_.width;
    out.image = input_.image;
    out.momentum = *momentum;
    out.epsilon = *eps;
    return out;
  }

  // dropout(x, p = 0.5): features or images alike.
  std::optional<ValueDef> dropout(ValueDef& out) {
    std::optional<double> p = real("p", 0.5);
    if (!p) return std::nullopt;
    if (!(*p >= 0 && *p <= 1)) {
      error(namedRange("p"), fmt::format("dropout's p, the probability of zeroing an element, must lie in [0, 1]; "
                                         "found {}",
                                         *p));
      return std::nullopt;
    }
    out.kind = ValueDef::Kind::Dropout;
    out.width = input_.width;
    out.image = input_.image;
    out.probability = *p;
    return out;
  }

  // embedding(x, V, D): x's L features are indices into a table [V, D].
  std::optional<ValueDef> embedding(ValueDef& out, double& parameters) {
    if (!input_.image.empty()) {
      error(call_.operands[0]->range, fmt::format("embedding reads indices [N, L], but '{}' is an image {}",
                                                  input_.name, shapeText(input_)));
      return std::nullopt;
    }
    std::optional<int64_t> vocabulary = argument("vocabulary", 0, 1), dimension = argument("dimension", 0, 1);
    if (!vocabulary || !dimension) return std::nullopt;
    double table = static_cast<double>(*vocabulary) * static_cast<double>(*dimension);
    double width = static_cast<double>(input_.width) * static_cast<double>(*dimension);
    if (table > static_cast<double>(kMaxParameters) || width > static_cast<double>(kMaxParameters)) {
      error(call_.range, fmt::format("embedding's table of {} x {} (or its {} x {} outputs per sample) is more "
                                     "than nnc allows, {} (2^31)",
                                     *vocabulary, *dimension, input_.width, *dimension, kMaxParameters));
      return std::nullopt;
    }
    parameters += table;
    out.kind = ValueDef::Kind::Embedding;
    out.vocabulary = *vocabulary;
    out.dimension = *dimension;
    out.width = input_.width * *dimension;
    return out;
  }

  // The number given for `name`, or `fallback`; empty after an error.
  std::optional<double> real(const char* name, double fallback) {
    auto found = given_.find(name);
    if (found == given_.end()) return fallback;
    return analyzeConstant(*call_.operands[found->second], fmt::format("{}'s {}", call_.text, name), source_, ctx_,
                           diags_);
  }

  // reshape(x, C, H, W): the same elements per sample as an image.
  std::optional<ValueDef> reshape(ValueDef& out) {
    std::optional<int64_t> c = argument("channels", 0, 1), h = argument("height", 0, 1), w = argument("width", 0, 1);
    if (!c || !h || !w) return std::nullopt;
    if (static_cast<double>(*c) * static_cast<double>(*h) * static_cast<double>(*w) !=
        static_cast<double>(input_.width)) {
      error(call_.range, fmt::format("reshape makes [N, {}, {}, {}] ({} elements per sample) of '{}', which has {}",
                                     *c, *h, *w, *c * *h * *w, input_.name, input_.width));
      return std::nullopt;
    }
    out.kind = ValueDef::Kind::Reshape;
    out.image = {*c, *h, *w};
    out.width = input_.width;
    return out;
  }

  const ast::Expr& call_;
  const ValueDef& input_;
  const SourceBuffer& source_;
  ir::ExprContext& ctx_;
  Diagnostics& diags_;
  const Signature& signature_;
  std::map<std::string, size_t> given_;  // argument name -> its operand
  std::vector<std::string> named_;
};

}  // namespace

bool isTensorOp(const std::string& name) { return signatures().count(name) > 0; }

std::optional<ValueDef> checkTensorOp(const ast::Expr& call, const ValueDef& input, double& parameters,
                                     const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags) {
  return TensorOpChecker(call, input, source, ctx, diags).run(parameters);
}

std::string shapeText(const ValueDef& value) {
  if (value.image.empty()) return fmt::format("[N, {}]", value.width);
  return fmt::format("[N, {}]", fmt::join(value.image, ", "));
}

}  // namespace nnc::frontend

#pragma once
// A model's forward graph as an ONNX model (opset 17): what computes its
// prediction, with its parameters as initializers, for ONNX Runtime and the
// servers built on it. Formulas become primitive ops (interop/OnnxFormulas),
// or, on request, model-local functions in the `nnc` domain, one per
// activation.
#include <optional>
#include <string>

#include <onnx/onnx_pb.h>

#include "ir/Graph.h"
#include "passes/Pass.h"
#include "support/Diagnostics.h"

namespace nnc::interop {

inline constexpr int64_t kOnnxOpset = 17;
inline constexpr const char* kFunctionDomain = "nnc";

struct OnnxExportOptions {
  std::string graphName;        // the model's name
  std::string producerVersion;  // nnc's version
  bool functions = false;       // activations as FunctionProtos (--onnx-functions)
};

// Each parameter's values by its checkpoint name ("conv1.weight").
using ParameterValues = passes::TrainedParameters;

// The part of `graph` its prediction needs. Nullopt after an error: an op
// that is no part of a forward graph (a loss, a gradient), named with its
// place in `source`, or a parameter without values.
std::optional<onnx::ModelProto> exportOnnx(const ir::Graph& graph, const ParameterValues& parameters,
                                           const OnnxExportOptions& options, const SourceBuffer* source,
                                           Diagnostics& diags);

// Runs ONNX's checker, then its shape inference (strict: a type it infers
// must agree with the one declared), which records each value's type in
// the graph's value_info. "" if both pass, else what they said.
std::string checkOnnx(onnx::ModelProto& model);

// The model in ONNX's text syntax (onnx/defs/printer.h), which onnx's
// parser reads back: a header with the IR version and opsets, each
// initializer's name and shape (in comments: not its values), the graph,
// then the functions.
std::string onnxText(const onnx::ModelProto& model);

}  // namespace nnc::interop

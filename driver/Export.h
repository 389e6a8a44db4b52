#pragma once
// nnc export: a model of a .nn file, with its trained weights (or the
// initial ones its seed draws), as an ONNX model for other engines.
#include <optional>
#include <ostream>
#include <string>

#include <onnx/onnx_pb.h>

#include "driver/Compilation.h"
#include "interop/OnnxExport.h"

namespace nnc::driver {

struct ExportRequest {
  std::string programPath;
  std::optional<std::string> model;        // which model of the program (chooseModel's rule)
  std::optional<std::string> weightsPath;  // a checkpoint; none: the initial weights `seed` draws
  std::optional<uint64_t> seed;            // none: the seed of the model's `train` declaration, else 1
  CompilerSettings settings;               // its lints (the graph is exported as built: no -O, no --passes)
  bool functions = false;                  // activations as ONNX functions
  std::string producerVersion;
};

// The exported model, checked by ONNX's checker and shape inference.
// Nullopt after an error; lint warnings go to `diags` too.
std::optional<onnx::ModelProto> exportModel(const ExportRequest& request, Diagnostics& diags, std::ostream& log);

}  // namespace nnc::driver

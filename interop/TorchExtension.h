#pragma once
// nnc activations as PyTorch operators: for each activation, kernels
// compiled ahead of time (forward, and backward recomputing from the
// input; float32 and float64; parameters per layer or per unit), a C++
// extension registering them as operators with autograd (TORCH_LIBRARY),
// and a Python module with an nn.Module per activation.
#include <optional>
#include <string>
#include <vector>

#include "frontend/Module.h"
#include "support/Diagnostics.h"

namespace nnc::interop {

struct TorchExtensionRequest {
  std::vector<const frontend::ActivationDef*> activations;
  std::string name;       // the extension, its Python module and its operators' namespace: torch.ops.NAME
  std::string targetCpu;  // "": this machine
};

// The files of the extension, by name (NAME.cpp, NAME.py, NAME_kernels.o,
// nnc_torch_ops.h), and their contents.
struct TorchExtension {
  std::vector<std::pair<std::string, std::string>> files;
};

// Nullopt, with an error, if a derivative grows past nnc's limits or the
// kernels cannot be compiled.
std::optional<TorchExtension> generateTorchExtension(const TorchExtensionRequest& request, Diagnostics& diags);

// The text of interop/torch/nnc_torch_ops.h, which every extension ships.
extern const char* const kTorchOpsHeader;

}  // namespace nnc::interop

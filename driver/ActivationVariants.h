#pragma once
// The variants `nnc sweep` trains: the same model with other activations
// in some of its layers. A variant says, per layer, the activation options
// as the language writes them in a dense layer ("relu", "prelu, per_unit",
// "relu: 64, tanh: 64"), plus the formulas it declares for them; the front
// end checks and builds them exactly as if they were written in the file.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "driver/Program.h"
#include "frontend/Model.h"
#include "support/Diagnostics.h"

namespace nnc::driver {

struct ActivationVariant {
  std::string name;                                         // as reports show it: "gelu", "relu:128+tanh:128"
  std::vector<std::pair<std::string, std::string>> layers;  // layer -> its activation options, as written
  std::vector<std::string> declarations;                    // "activation sweep_f1(x) = x*sigmoid(1.702*x);"
};

// What the command line asks for, in its order.
struct VariantRequest {
  std::vector<std::string> layers;                 // empty: every hidden layer with an activation
  std::vector<std::string> activations;            // an activation's options ("prelu, per_unit") or a formula in x
  std::vector<std::string> mixes;                  // "relu:128+tanh:128": sizes are proportions of each layer's units
  std::vector<std::vector<std::string>> perLayer;  // one activation per layer, in the order of `layers`
};

// The layers a sweep changes when none are named: those with an activation
// formula, except the one whose output the loss reads.
std::vector<std::string> hiddenLayers(const frontend::ModelDef& model);

// The variants, each named and with its options for every layer; nullopt
// after an error (an unknown layer, a mix that cannot be split, a per-layer
// list of the wrong length, two variants of one name).
std::optional<std::vector<ActivationVariant>> planVariants(const frontend::ModelDef& model,
                                                           const VariantRequest& request, Diagnostics& diags);

// `model` with the variant's activations. They are analysed, in the
// loaded program's expression context, as a small program that imports it
// (so its own activations can be named); its errors (an unknown
// activation, with a suggestion) name the variant. The new activations
// point at their layer's declaration in the model's file. Nullopt after an
// error.
std::optional<frontend::ModelDef> applyVariant(const frontend::ModelDef& model, const ActivationVariant& variant,
                                               const LoadedProgram& loaded, Diagnostics& diags);

}  // namespace nnc::driver

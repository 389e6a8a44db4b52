#pragma once
// Which model, and which `train` declaration, of a program a command or the
// library works on: one rule for all of them. A name picks that model (an
// unknown one gets a "did you mean"); without one, a program with exactly
// one model means it, and one with several is an error that lists them.
#include <optional>
#include <string>

#include "frontend/Model.h"
#include "support/Diagnostics.h"

namespace nnc::driver {

// `program` names the program in errors ("'mlp.nn'", "the program");
// `how` says how to name a model ("--model NAME"). Null after the error.
const frontend::ModelDef* chooseModel(const frontend::Program& program, const std::optional<std::string>& wanted,
                                      const std::string& programName, const std::string& how, Diagnostics& diags);

// The `train` declaration of model `wanted` or, with no name, the program's
// first; an unknown name gets a "did you mean" among the trained models.
// Null after the error.
const frontend::TrainingDef* chooseTraining(const frontend::Program& program, const std::optional<std::string>& wanted,
                                            const std::string& programName, Diagnostics& diags);

// The `train` declaration of `model`, or null if it has none. A second one
// for the same model is an error (with a note at the first): which one
// counts would otherwise depend on the order of the file.
const frontend::TrainingDef* trainingFor(const frontend::Program& program, const std::string& model,
                                         Diagnostics& diags);

}  // namespace nnc::driver

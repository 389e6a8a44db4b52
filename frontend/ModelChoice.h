#pragma once
// Which model of a program a command or the library works on: one rule
// for all of them. A name picks that model (an unknown one gets a "did you
// mean"); without one, a program with exactly one model means it, and one
// with several is an error that lists them.
#include <optional>
#include <string>

#include "frontend/Model.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// `program` names the program in errors ("'mlp.nn'", "the program");
// `how` says how to name a model ("--model NAME"). Null after the error.
const ModelDef* chooseModel(const Program& program, const std::optional<std::string>& wanted,
                            const std::string& programName, const std::string& how, Diagnostics& diags);

}  // namespace nnc::frontend

#pragma once
// The commands' names, shared by the launcher (which knows them without
// loading the driver) and the driver (which runs them).
#include <array>
#include <string_view>

namespace nnc::cli {

constexpr std::array<std::string_view, 9> kCommandNames = {"grad",     "eval",  "train", "compile", "predict",
                                                           "backprop", "check", "plot",  "repl"};

}  // namespace nnc::cli

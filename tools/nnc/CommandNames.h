#pragma once
// The commands' names, shared by the launcher (which knows them without
// loading the command library) and the command library (which runs them).
#include <array>
#include <string_view>

namespace nnc::cli {

constexpr std::array<std::string_view, 13> kCommandNames = {"grad",    "eval",     "train",    "sweep",
                                                            "compile", "predict",  "evaluate", "backprop",
                                                            "export",  "torch",    "check",    "plot",
                                                            "repl"};

}  // namespace nnc::cli

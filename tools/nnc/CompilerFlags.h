#pragma once
// The compiler flags every model command shares (compile, train, check,
// predict, backprop): -O0..-O3, --passes, --print-after, --stats and the
// warning flags -Werror, -Wno-NAME, -w, read into the driver's settings.
#include <optional>
#include <vector>

#include "driver/Compilation.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

std::vector<OptionSpec> compilerOptions();
// The warning flags alone (-Werror, -Wno-NAME, -w), for the commands that
// run the lints but no pass pipeline (check, export).
std::vector<OptionSpec> warningOptions();

// Reads the flags of compilerOptions(); nullopt (with errors) if one is bad.
std::optional<driver::CompilerSettings> parseCompilerFlags(const ParsedOptions& options, Diagnostics& diags,
                                                           bool training);

}  // namespace nnc::cli

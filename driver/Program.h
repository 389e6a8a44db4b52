#pragma once
// A .nn program loaded for the model commands and the library: the file and
// its imports, analysed, with the expression context that owns its formulas.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/Model.h"
#include "ir/Expr.h"
#include "support/Diagnostics.h"

namespace nnc::driver {

struct LoadedProgram {
  std::unique_ptr<ir::ExprContext> exprs = std::make_unique<ir::ExprContext>();
  frontend::Program program;

  // The file the program was loaded from (its imports follow), where
  // diagnostics about its declarations point; null for an empty program.
  const SourceBuffer* mainSource() const {
    return program.sources.empty() ? nullptr : program.sources.front().get();
  }
};

std::optional<LoadedProgram> loadProgram(const std::string& path, Diagnostics& diags);
// `text` as if it were the file `name` (its imports are read from disk).
std::optional<LoadedProgram> loadProgramText(const std::string& name, std::string text, Diagnostics& diags);

// Every file the program reads: the .nn file, its imports, and the data
// files of its `train` declarations (outputs must not replace them).
std::vector<std::string> programInputs(const frontend::Program& program);

}  // namespace nnc::driver

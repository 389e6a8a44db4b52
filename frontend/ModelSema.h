#pragma once
// Turns a .nn file and the files it imports into a Program: reads and parses
// each file once (however many files import it), follows imports relative to
// the importing file, refuses import cycles, makes imported activations
// available, and checks the main file's models and trainings.
#include <optional>
#include <string>

#include "frontend/AST.h"
#include "frontend/Model.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// The largest .nn file read (imports too): hand-written models are a few
// kilobytes; a larger file is almost certainly not a model.
inline constexpr size_t kMaxSourceBytes = size_t{1} << 20;

// Reads `path` and its imports. Empty if any file has an error; every error
// is reported, each in the file it is in. The Program owns all it refers to
// (Exprs aside, which live in `ctx`).
std::optional<Program> analyzeProgram(const std::string& path, ir::ExprContext& ctx, Diagnostics& diags);

// The same for text already in memory (tests, the REPL). `path` names it in
// diagnostics, and relative imports and data paths start from its folder.
std::optional<Program> analyzeProgramText(const std::string& path, std::string text, ir::ExprContext& ctx,
                                          Diagnostics& diags);

// Only reads and parses `path` (not its imports, no checks): for
// `nnc compile --emit=ast`. Empty after reporting a read or syntax error.
std::optional<ast::File> parseProgramFile(const std::string& path, Diagnostics& diags);

}  // namespace nnc::frontend

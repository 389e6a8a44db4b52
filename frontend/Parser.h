#pragma once
// Parses .nn text into the AST. Syntax errors go to Diagnostics with their
// file:line:col; on any error the result is empty.
#include <optional>

#include "frontend/AST.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// Limits that keep hostile input from exhausting the stack.
// Parentheses, and chains of signs and `^` (see checkLimits in Parser.cpp).
inline constexpr size_t kMaxNesting = 200;
inline constexpr size_t kMaxStatementTokens = 5000;

std::optional<ast::File> parseFile(const SourceBuffer& source, Diagnostics& diags);
// A lone formula, as given on the command line.
ast::ExprPtr parseFormula(const SourceBuffer& source, Diagnostics& diags);

}  // namespace nnc::frontend

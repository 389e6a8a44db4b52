#pragma once
// The AST as an indented tree, one node per line with its position, as
// `nnc compile --emit=ast` prints it (in the manner of clang -ast-dump):
// what the parser understood, before any checks.
#include <string>

#include "frontend/AST.h"

namespace nnc::frontend {

std::string printAst(const ast::File& file);

}  // namespace nnc::frontend

#pragma once
// Checks `model` declarations and turns them into ModelDefs: sizes (positive,
// and small enough to allocate), layer activations resolved against the
// activations the file can use with their parameters bound, mixed layers,
// the loss, and the loss/output pairings that are wrong for certain.
#include <cstdint>
#include <string>
#include <vector>

#include "frontend/AST.h"
#include "frontend/Model.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// The most parameters a layer, or a whole model, may have: more would not be
// indexable with 32-bit offsets and is far beyond what fits in memory here.
inline constexpr int64_t kMaxParameters = int64_t{1} << 31;

// The activations a layer may name.
struct ActivationScope {
  const Module& activations;             // the file's own and imported ones
  std::vector<std::string> withErrors;   // declared, but left out after their errors were reported
};

// Models with errors are left out of the result; every error is reported.
std::vector<ModelDef> analyzeModels(const std::vector<ast::ModelDecl>& models, const ActivationScope& scope,
                                    const SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags);

}  // namespace nnc::frontend

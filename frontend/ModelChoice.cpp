#include "frontend/ModelChoice.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/Spelling.h"

namespace nnc::frontend {

const ModelDef* chooseModel(const Program& program, const std::optional<std::string>& wanted,
                            const std::string& programName, const std::string& how, Diagnostics& diags) {
  std::vector<std::string> names;
  for (const ModelDef& m : program.models) names.push_back(m.name);
  if (program.models.empty()) {
    diags.error(fmt::format("{} defines no model", programName));
    return nullptr;
  }
  if (wanted) {
    if (const ModelDef* model = program.model(*wanted)) return model;
    std::string message = fmt::format("{} defines no model named '{}'", programName, *wanted);
    if (auto suggestion = closestSpelling(*wanted, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
    else message += fmt::format(" (it defines {})", fmt::join(names, ", "));
    diags.error(message);
    return nullptr;
  }
  if (program.models.size() == 1) return &program.models.front();
  diags.error(fmt::format("{} defines {} models ({}); choose one with {}", programName, program.models.size(),
                          fmt::join(names, ", "), how));
  return nullptr;
}

}  // namespace nnc::frontend

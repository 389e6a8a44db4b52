#include "driver/ModelChoice.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/Spelling.h"

namespace nnc::driver {

const frontend::ModelDef* chooseModel(const frontend::Program& program, const std::optional<std::string>& wanted,
                                      const std::string& programName, const std::string& how, Diagnostics& diags) {
  std::vector<std::string> names;
  for (const frontend::ModelDef& m : program.models) names.push_back(m.name);
  if (program.models.empty()) {
    diags.error(fmt::format("{} defines no model", programName));
    return nullptr;
  }
  if (wanted) {
    if (const frontend::ModelDef* model = program.model(*wanted)) return model;
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

const frontend::TrainingDef* chooseTraining(const frontend::Program& program, const std::optional<std::string>& wanted,
                                            const std::string& programName, Diagnostics& diags) {
  if (!wanted && !program.trainings.empty()) return trainingFor(program, program.trainings.front().model, diags);
  if (wanted)
    if (const frontend::TrainingDef* training = trainingFor(program, *wanted, diags)) return training;
  std::string message = wanted ? fmt::format("{} has no `train {}` declaration", programName, *wanted)
                               : fmt::format("{} has no `train` declaration to run", programName);
  std::vector<std::string> trained;
  for (const frontend::TrainingDef& t : program.trainings) trained.push_back(t.model);
  if (wanted)
    if (auto suggestion = closestSpelling(*wanted, trained))
      message += fmt::format("; did you mean '{}'?", *suggestion);
  diags.error(message);
  return nullptr;
}

const frontend::TrainingDef* trainingFor(const frontend::Program& program, const std::string& model,
                                         Diagnostics& diags) {
  const frontend::TrainingDef* first = nullptr;
  const SourceBuffer* source = program.sources.empty() ? nullptr : program.sources.front().get();
  for (const frontend::TrainingDef& t : program.trainings) {
    if (t.model != model) continue;
    if (!first) {
      first = &t;
      continue;
    }
    diags.error(source, t.range, fmt::format("model '{}' has a second `train` declaration", t.model));
    diags.note(source, first->range, "the first is here");
  }
  return first;
}

}  // namespace nnc::driver

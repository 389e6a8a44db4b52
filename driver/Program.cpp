#include "driver/Program.h"

#include "frontend/ModelSema.h"

namespace nnc::driver {

namespace {

std::optional<LoadedProgram> keep(LoadedProgram loaded, std::optional<frontend::Program> program,
                                  const Diagnostics& diags) {
  if (!program || diags.hasErrors()) return std::nullopt;
  loaded.program = std::move(*program);
  return loaded;
}

}  // namespace

std::optional<LoadedProgram> loadProgram(const std::string& path, Diagnostics& diags) {
  LoadedProgram loaded;
  std::optional<frontend::Program> program = frontend::analyzeProgram(path, *loaded.exprs, diags);
  return keep(std::move(loaded), std::move(program), diags);
}

std::optional<LoadedProgram> loadProgramText(const std::string& name, std::string text, Diagnostics& diags) {
  LoadedProgram loaded;
  std::optional<frontend::Program> program =
      frontend::analyzeProgramText(name, std::move(text), *loaded.exprs, diags);
  return keep(std::move(loaded), std::move(program), diags);
}

std::vector<std::string> programInputs(const frontend::Program& program) {
  std::vector<std::string> files;
  for (const auto& source : program.sources) files.push_back(source->name());
  for (const frontend::TrainingDef& training : program.trainings) {
    files.insert(files.end(), training.data.paths.begin(), training.data.paths.end());
    if (training.test) files.insert(files.end(), training.test->paths.begin(), training.test->paths.end());
  }
  return files;
}

}  // namespace nnc::driver

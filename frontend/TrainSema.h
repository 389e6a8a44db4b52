#pragma once
// Checks `train` declarations and turns them into TrainingDefs: the model
// they train, the data (paths resolved against the .nn file's folder), the
// optimizer and its arguments, and the loop's settings.
#include <string>
#include <vector>

#include "frontend/AST.h"
#include "frontend/Model.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// What a train block is checked against.
struct TrainingScope {
  // Every model of the file, those with errors too (a train block is not
  // also blamed for naming them).
  std::vector<std::string> models;
  // Models of imported files, which an import does not bring in: named in
  // a hint when a train block asks for one.
  std::vector<std::string> importedModels;
  // The folder of the .nn file: relative data paths start here ("" is the
  // working directory).
  std::string directory;
};

// Train blocks with errors are left out of the result; every error is reported.
std::vector<TrainingDef> analyzeTrainings(const std::vector<ast::TrainDecl>& trainings, const TrainingScope& scope,
                                          const SourceBuffer& source, Diagnostics& diags);

// Whether a learning rate is positive and finite as training uses it, in
// float32 (1e-320 is 0 there, 1e39 is inf).
bool isUsableLearningRate(double rate);

}  // namespace nnc::frontend

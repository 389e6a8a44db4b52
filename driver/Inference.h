#pragma once
// What nnc predict, evaluate and backprop share: a model of a .nn file,
// compiled, with its weights loaded from a checkpoint, and a data set to run
// it on: a CSV file laid out as its training data, or the test data of its
// `train` declaration.
#include <optional>
#include <ostream>
#include <string>

#include "driver/Compilation.h"
#include "driver/Program.h"
#include "runtime/Dataset.h"

namespace nnc::driver {

struct InferenceRequest {
  std::string programPath;
  std::optional<std::string> model;  // which model of the program (chooseModel's rule)
  std::string weightsPath;           // a checkpoint (nnc train --save) or PyTorch-named safetensors
  std::optional<std::string> dataPath;  // CSV; none: the test data of the model's `train` declaration
  CompilerSettings settings;         // settings.pipeline.foldLinear folds with the loaded weights
  bool unlabelledData = false;       // the CSV's rows may hold the features only (predict)
};

struct ReadyModel {
  LoadedProgram loaded;
  std::string model;  // the name of the model chosen
  NativeModel native;
  runtime::Dataset data;
  std::optional<int64_t> trainedBatch;  // the batch the weights were trained with, if their checkpoint says
};

// Nullopt after an error. --print-after and --stats output goes to `log`.
std::optional<ReadyModel> prepareInference(const InferenceRequest& request, Diagnostics& diags, std::ostream& log);

}  // namespace nnc::driver

#pragma once
// `nnc sweep`: one model trained once per (activation variant, seed), with
// the same initial-weights rule, data order and optimiser for every
// variant, each variant compiled once. Every finished run is recorded in
// the report folder's results.json at once (replaced atomically), so a
// killed sweep continues where it stopped and gives the same results.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "driver/ActivationVariants.h"
#include "driver/Compilation.h"
#include "driver/Program.h"
#include "driver/TrainingSetup.h"

namespace nnc::driver {

struct SweepSettings {
  std::string programPath;
  std::vector<std::string> layers;  // the layers the variants change
  std::vector<ActivationVariant> variants;
  int64_t seeds = 3;                // seeds training.seed, training.seed + 1, ...
  frontend::TrainingDef training;   // epochs, batch, optimiser and first seed, with the command line's overrides
  CompilerSettings compiler;
  // Stop after training this many runs (the next run of the sweep goes on
  // from there); not part of the configuration.
  size_t maxRuns = SIZE_MAX;
  // Runs trained at once, each on one thread (1: one after another, each
  // on all of the pool's). The results are the same bits either way.
  size_t jobs = 1;
};

struct EpochRecord {
  int64_t epoch = 0;
  double trainLoss = 0, testLoss = 0, testAccuracy = 0, seconds = 0;
};

struct RunRecord {
  std::string variant;
  uint64_t seed = 0;
  std::vector<EpochRecord> epochs;
  // After the last epoch, per changed layer: the fraction of its units
  // that can die (relu-like) that were dead all epoch (absent: none can);
  // and every layer's weight-gradient norm, in forward order.
  std::vector<std::pair<std::string, double>> deadFraction;
  std::vector<std::pair<std::string, double>> gradientNorms;
  int64_t parameters = 0;
  std::string error;  // training stopped (a non-finite loss): what and where
};

// The runs done so far, as results.json holds them.
struct SweepRecords {
  std::string configuration;  // what the runs were made with (JSON); a resumed sweep must match it
  std::vector<RunRecord> runs;
  const RunRecord* find(const std::string& variant, uint64_t seed) const;
};

// What a configuration is, as text to compare: the program (its file name
// and a hash of its text and its imports', so an edited file is not mixed
// with runs of the old one, while a moved one still matches), model,
// layers, variants with their options, seeds and training settings.
std::string sweepConfiguration(const SweepSettings& settings, const LoadedProgram& loaded, const std::string& model);

// The records in `path`, or none if it does not exist; nullopt (with an
// error) if it cannot be read or holds another configuration's runs.
std::optional<SweepRecords> loadSweepRecords(const std::string& path, const std::string& configuration,
                                             Diagnostics& diags);
bool saveSweepRecords(const std::string& path, const SweepRecords& records, Diagnostics& diags);

struct SweepEvents {
  // Before each run: which (0-based) of how many, and what it trains.
  std::function<void(size_t run, size_t runs, const std::string& variant, uint64_t seed)> runStarted;
  // After each epoch of a run.
  std::function<void(const EpochRecord&)> epochDone;
  // After each run (also one found done in the records).
  std::function<void(const RunRecord&, bool resumed)> runDone;
};

// Trains every (variant, seed) not yet in `records` (at most
// settings.maxRuns of them), saving them to `recordsPath` after each run.
// False after an error that stops the sweep
// (a variant that does not compile, a file that cannot be written); a run
// whose training fails is recorded with its error and the sweep goes on.
bool runSweep(const SweepSettings& settings, const LoadedProgram& loaded, const frontend::ModelDef& model,
              const TrainingData& data, SweepRecords& records, const std::string& recordsPath,
              const SweepEvents& events, Diagnostics& diags);

}  // namespace nnc::driver

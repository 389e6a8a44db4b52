#include "driver/Sweep.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "driver/DeadUnits.h"
#include "runtime/AtomicFile.h"
#include "runtime/Parallel.h"
#include "runtime/Trainer.h"
#include "support/LargeStack.h"

namespace nnc::driver {

namespace {

using Json = nlohmann::ordered_json;

Json toJson(const RunRecord& run) {
  Json epochs = Json::array();
  for (const EpochRecord& e : run.epochs)
    epochs.push_back({{"epoch", e.epoch},
                      {"train_loss", e.trainLoss},
                      {"test_loss", e.testLoss},
                      {"test_accuracy", e.testAccuracy},
                      {"seconds", e.seconds}});
  Json dead = Json::object(), norms = Json::object();
  for (const auto& [layer, fraction] : run.deadFraction) dead[layer] = fraction;
  for (const auto& [layer, norm] : run.gradientNorms) norms[layer] = norm;
  Json out = {{"variant", run.variant}, {"seed", run.seed},           {"parameters", run.parameters},
              {"epochs", epochs},       {"dead_fraction", dead},      {"grad_norms", norms}};
  if (!run.error.empty()) out["error"] = run.error;
  return out;
}

RunRecord fromJson(const Json& j) {
  RunRecord run;
  run.variant = j.at("variant").get<std::string>();
  run.seed = j.at("seed").get<uint64_t>();
  run.parameters = j.at("parameters").get<int64_t>();
  for (const Json& e : j.at("epochs"))
    run.epochs.push_back({e.at("epoch").get<int64_t>(), e.at("train_loss").get<double>(),
                          e.at("test_loss").get<double>(), e.at("test_accuracy").get<double>(),
                          e.at("seconds").get<double>()});
  for (const auto& [layer, fraction] : j.at("dead_fraction").items())
    run.deadFraction.emplace_back(layer, fraction.get<double>());
  for (const auto& [layer, norm] : j.at("grad_norms").items())
    run.gradientNorms.emplace_back(layer, norm.get<double>());
  if (j.contains("error")) run.error = j.at("error").get<std::string>();
  return run;
}

// One variant compiled, with what its runs need: trained from one seed
// after another.
struct CompiledVariant {
  const ActivationVariant* variant = nullptr;
  frontend::ModelDef model;
  NativeModel native;
  std::optional<DeadUnitCheck> dead;  // the fractions, not the warning
};

// Front end and JIT for `variant` (one thread at a time: the expression
// context is not shared across threads).
bool compileVariant(const SweepSettings& settings, const LoadedProgram& loaded, const frontend::ModelDef& model,
                    const ActivationVariant& variant, uint64_t seed, CompiledVariant& out, Diagnostics& diags) {
  std::optional<frontend::ModelDef> changed = applyVariant(model, variant, loaded, diags);
  if (!changed) return false;
  std::ostringstream log;
  std::optional<ir::Graph> graph = compileModelGraph(*changed, loaded, settings.compiler, diags, log);
  if (!graph) return false;
  std::optional<NativeModel> native = compileNative(std::move(*graph), seed, diags);
  if (!native) return false;
  out.variant = &variant;
  out.model = std::move(*changed);
  out.native = std::move(*native);
  out.dead.emplace(out.model, *loaded.exprs, 1.0);
  return true;
}

// One run: the compiled variant's parameters drawn for `seed`, a fresh
// optimiser, training on the sweep's data.
RunRecord trainRun(const SweepSettings& settings, const TrainingData& data, CompiledVariant& compiled, uint64_t seed,
                   const std::function<void(const EpochRecord&)>& epochDone) {
  backend::CompiledModel& model = *compiled.native.model;
  model.initializeParameters(seed);
  model.trackOutputMaxima(compiled.dead->layers());
  runtime::Optimizer optimizer(optimizerSettings(settings.training.optimizer));
  runtime::TrainSettings train = trainSettings(settings.training);
  train.seed = seed;
  train.gradientNorms = true;
  RunRecord record;
  record.variant = compiled.variant->name;
  record.seed = seed;
  for (const runtime::ParameterRef& p : model.parameters()) record.parameters += p.value->size();
  runtime::TrainEvents events;
  events.epochDone = [&](const runtime::EpochReport& r) {
    EpochRecord epoch{r.epoch, r.trainLoss, r.test.loss, r.test.accuracy, r.seconds};
    record.epochs.push_back(epoch);
    epochDone(epoch);
    record.gradientNorms = layerGradientNorms(compiled.model, r);
    record.deadFraction.clear();
    for (const auto& [layer, fraction] : compiled.dead->fractions(r))
      if (std::find(settings.layers.begin(), settings.layers.end(), layer) != settings.layers.end())
        record.deadFraction.emplace_back(layer, fraction);
    return true;
  };
  record.error = runtime::train(model, optimizer, data.train, data.test, train, events).error;
  return record;
}

// The pool's size for the duration of a parallel sweep: one thread per run.
class ThreadCountFor {
public:
  explicit ThreadCountFor(size_t jobs) : before_(runtime::threadCount()) {
    if (jobs > 1) runtime::setThreadCount(1);
  }
  ~ThreadCountFor() { runtime::setThreadCount(before_); }

private:
  int before_;
};

}  // namespace

const RunRecord* SweepRecords::find(const std::string& variant, uint64_t seed) const {
  for (const RunRecord& run : runs)
    if (run.variant == variant && run.seed == seed) return &run;
  return nullptr;
}

std::string sweepConfiguration(const SweepSettings& settings, const LoadedProgram& loaded, const std::string& model) {
  const frontend::TrainingDef& t = settings.training;
  // FNV-1a, 64 bits: the same on every machine (std::hash need not be).
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const auto& source : loaded.program.sources)
    for (unsigned char c : source->text() + '\0') hash = (hash ^ c) * 0x100000001b3ull;
  Json variants = Json::array();
  for (const ActivationVariant& v : settings.variants) {
    Json layers = Json::object();
    for (const auto& [layer, options] : v.layers) layers[layer] = options;
    variants.push_back({{"name", v.name}, {"layers", layers}, {"declarations", v.declarations}});
  }
  Json config = {{"program", std::filesystem::path(settings.programPath).filename().string()},
                 {"program_hash", fmt::format("{:016x}", hash)},
                 {"model", model},
                 {"layers", settings.layers},
                 {"variants", variants},
                 {"seeds", settings.seeds},
                 {"first_seed", t.seed},
                 {"epochs", t.epochs},
                 {"batch", t.batchSize},
                 {"learning_rate", t.optimizer.learningRate},
                 {"optimization_level", settings.compiler.pipeline.optimizationLevel}};
  return config.dump();
}

std::optional<SweepRecords> loadSweepRecords(const std::string& path, const std::string& configuration,
                                             Diagnostics& diags) {
  SweepRecords records;
  records.configuration = configuration;
  std::error_code code;
  if (!std::filesystem::exists(path, code)) return records;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    Json j = Json::parse(text.str());
    if (j.at("configuration").dump() != Json::parse(configuration).dump()) {
      diags.error(fmt::format("'{}' holds a sweep of other settings (program text, model, layers, variants, seeds or training); "
                              "give another --report folder, or remove it to start again",
                              path));
      return std::nullopt;
    }
    for (const Json& run : j.at("runs")) records.runs.push_back(fromJson(run));
  } catch (const Json::exception& e) {
    diags.error(fmt::format("'{}' is not a sweep's results: {}", path, e.what()));
    return std::nullopt;
  }
  return records;
}

bool saveSweepRecords(const std::string& path, const SweepRecords& records, Diagnostics& diags) {
  Json runs = Json::array();
  for (const RunRecord& run : records.runs) runs.push_back(toJson(run));
  Json j = {{"configuration", Json::parse(records.configuration)}, {"runs", runs}};
  std::string text = j.dump(1) + "\n";
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()), text.size());
  if (std::error_code error = runtime::writeFileAtomically(path, std::span(&bytes, 1))) {
    diags.error(fmt::format("cannot write '{}': {}", path, error.message()));
    return false;
  }
  return true;
}

bool runSweep(const SweepSettings& settings, const LoadedProgram& loaded, const frontend::ModelDef& model,
              const TrainingData& data, SweepRecords& records, const std::string& recordsPath,
              const SweepEvents& events, Diagnostics& diags) {
  struct Task {
    const ActivationVariant* variant;
    uint64_t seed;
    size_t index;  // in the whole sweep
  };
  size_t total = settings.variants.size() * static_cast<size_t>(settings.seeds), index = 0;
  std::vector<Task> tasks;
  for (const ActivationVariant& variant : settings.variants)
    for (int64_t k = 0; k < settings.seeds; ++k, ++index) {
      uint64_t seed = settings.training.seed + static_cast<uint64_t>(k);
      if (const RunRecord* done = records.find(variant.name, seed)) {
        if (events.runDone) events.runDone(*done, true);
      } else if (tasks.size() < settings.maxRuns) {
        tasks.push_back({&variant, seed, index});
      }
    }
  // Workers take the runs in order; each compiles a variant once for the
  // runs of it that it takes. Only training runs in parallel: the front
  // end (one expression context), the records, the events and `diags` are
  // one thread at a time.
  std::mutex shared;
  std::atomic<size_t> next = 0;
  std::atomic<bool> failed = false;
  auto work = [&] {
    CompiledVariant compiled;
    for (size_t t; !failed && (t = next++) < tasks.size();) {
      const Task& task = tasks[t];
      if (compiled.variant != task.variant) {
        std::lock_guard<std::mutex> lock(shared);
        compiled = CompiledVariant{};
        if (!compileVariant(settings, loaded, model, *task.variant, task.seed, compiled, diags)) {
          failed = true;
          return;
        }
      }
      {
        std::lock_guard<std::mutex> lock(shared);
        if (events.runStarted) events.runStarted(task.index, total, task.variant->name, task.seed);
      }
      RunRecord record = trainRun(settings, data, compiled, task.seed, [&](const EpochRecord& epoch) {
        std::lock_guard<std::mutex> lock(shared);
        if (events.epochDone) events.epochDone(epoch);
      });
      std::lock_guard<std::mutex> lock(shared);
      records.runs.push_back(std::move(record));
      if (!saveSweepRecords(recordsPath, records, diags)) {
        failed = true;
        return;
      }
      if (events.runDone) events.runDone(records.runs.back(), false);
    }
  };
  size_t jobs = std::max<size_t>(1, std::min(settings.jobs, tasks.size()));
  ThreadCountFor threads(jobs);
  std::vector<std::thread> workers;
  // Compiling recurses over formulas: each worker on a stack as large as the
  // command's own.
  for (size_t j = 1; j < jobs; ++j) workers.emplace_back([&] { runWithLargeStack(work); });
  work();
  for (std::thread& worker : workers) worker.join();
  return !failed;
}

}  // namespace nnc::driver

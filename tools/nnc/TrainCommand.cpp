// nnc train: train a model described in a .nn file on its data.
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "backend/CompiledModel.h"
#include "driver/Checkpoints.h"
#include "driver/Compilation.h"
#include "driver/DeadUnits.h"
#include "driver/ModelChoice.h"
#include "driver/Program.h"
#include "driver/TrainingMemory.h"
#include "driver/TrainingSetup.h"
#include "runtime/Checkpoint.h"
#include "runtime/Trainer.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/CompilerFlags.h"
#include "tools/nnc/Options.h"
#include "tools/nnc/OutputFile.h"
#include "tools/nnc/TrainingOverrides.h"
#include "tools/nnc/TrainingPlots.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc train F.nn [--epochs N] [--batch N] [--lr X] [--seed N] [--save P] [--load P]\n"
    "                      [--metrics-json P] [--model NAME] [--grad-norms] [--plot-dir DIR]\n"
    "                      [--dead-units-threshold F] [--patience N] [--save-best P]\n"
    "\n"
    "Trains the model of F.nn's `train` declaration on its data, showing progress,\n"
    "and reports the accuracy (for real-valued targets RMSE, MAE and R^2) on the test data.\n"
    "Options override the file's settings.\n\n";

std::vector<OptionSpec> trainOptions() {
  std::vector<OptionSpec> specs = trainingOverrideOptions();
  std::vector<OptionSpec> more = {
      {"save", "P", "write a checkpoint (safetensors) after every epoch"},
      {"save-best", "P", "write a checkpoint after every epoch whose test loss is the lowest so far"},
      {"patience", "N", "stop after N epochs without a lower test loss (early stopping)"},
      {"load", "P", "resume from a checkpoint"},
      {"metrics-json", "P", "write the final figures as JSON"},
      {"model", "NAME", "which `train` declaration to run, when the file has several"},
      {"grad-norms", "", "after every epoch, print each layer's weight-gradient norm (RMS over the steps)"},
      {"plot-dir", "DIR", "after training, write SVG charts of the loss, accuracy and gradient norms per epoch"},
      {"dead-units-threshold", "F", "-Wdead-units: warn when more than this fraction of a layer's relu units die "
                                    "(default 0.5)"},
  };
  for (OptionSpec& spec : more) specs.push_back(std::move(spec));
  for (OptionSpec& spec : compilerOptions()) specs.push_back(std::move(spec));
  specs.push_back({"help", "", "show this help"});
  return specs;
}

// "  accuracy 0.8312" (or "  rmse 0.0612"): the training batches' metric.
std::string trainMetric(const runtime::EpochReport& r) {
  if (r.trainAccuracy) return fmt::format("  accuracy {:.4f}", *r.trainAccuracy);
  if (r.trainRmse) return fmt::format("  rmse {:.4f}", *r.trainRmse);
  return "";
}

// What the task is judged by: accuracy for classes (and, per element, for
// several labels), RMSE, MAE and R^2 for real values.
std::string metrics(const runtime::Evaluation& test) {
  if (test.regression) return fmt::format("test rmse {:.4f}  mae {:.4f}  r2 {:.4f}", test.rmse, test.mae, test.r2);
  return fmt::format("test accuracy {:.4f}", test.accuracy);
}

// Progress on a terminal: one line redrawn in place; elsewhere (logs, CI)
// only the line at the end of each epoch.
class ProgressPrinter {
public:
  // `scheduled`: the learning rate changes, so each epoch's line shows it.
  ProgressPrinter(std::ostream& out, bool scheduled)
      : out_(out), terminal_(isatty(STDOUT_FILENO) == 1), scheduled_(scheduled) {}

  void batch(int64_t epoch, int64_t epochs, int64_t done, int64_t total, double loss) {
    if (!terminal_) return;
    out_ << "\r" << bar(epoch, epochs, done, total) << fmt::format("  loss {:.4f}", loss) << std::flush;
  }

  void epoch(const runtime::EpochReport& r) {
    if (terminal_) out_ << "\r";
    out_ << bar(r.epoch, r.epochs, r.samples, r.samples)
         << fmt::format("  loss {:.4f}{}  test loss {:.4f}  {}  {:.1f} s{}\n", r.trainLoss, trainMetric(r), r.test.loss,
                        metrics(r.test), r.seconds, scheduled_ ? fmt::format("  lr {:.3g}", r.learningRate) : "")
         << std::flush;
  }

private:
  static std::string bar(int64_t epoch, int64_t epochs, int64_t done, int64_t total) {
    constexpr int kWidth = 26;
    int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
    return fmt::format("epoch {}/{} [{}{}] {}/{}", epoch, epochs, std::string(static_cast<size_t>(filled), '#'),
                       std::string(static_cast<size_t>(kWidth - filled), '.'), done, total);
  }
  std::ostream& out_;
  bool terminal_, scheduled_;
};

// A path we will write later must be writable now: finding out after an hour
// of training is too late.
void checkWritable(const std::string& option, const std::string& path, Diagnostics& diags) {
  if (path.empty()) {
    diags.error(fmt::format("--{} needs a file name", option));
    return;
  }
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code code;
  if (!std::filesystem::is_directory(parent, code) || access(parent.c_str(), W_OK) != 0)
    diags.error(fmt::format("--{} {}: cannot write into '{}'", option, path, parent.string()));
  else if (std::filesystem::is_directory(path, code))
    diags.error(fmt::format("--{} {}: it is a directory", option, path));
}

// --plot-dir: checked with the other options, rather than after training,
// but created only once every check has passed (a failed run leaves
// nothing behind): an existing folder must be writable, a new one's nearest
// existing parent must be.
void checkPlotDirectory(const std::string& dir, Diagnostics& diags) {
  std::error_code code;
  std::filesystem::path existing = std::filesystem::absolute(dir, code);
  while (!existing.empty() && !std::filesystem::exists(existing, code) && existing != existing.parent_path())
    existing = existing.parent_path();
  if (!std::filesystem::is_directory(existing, code) || access(existing.c_str(), W_OK) != 0)
    diags.error(existing == std::filesystem::absolute(dir, code)
                    ? fmt::format("--plot-dir {}: cannot write into it", dir)
                    : fmt::format("--plot-dir {}: cannot write into '{}'", dir, existing.string()));
}

using LayerNorms = std::vector<std::pair<std::string, double>>;

// "  grad norm  h1 3.1e-05  h2 2.0e-04  out 1.2e-02"
std::string gradientNormLine(const LayerNorms& norms) {
  std::string line = "  grad norm";
  for (const auto& [layer, norm] : norms) line += fmt::format("  {} {:.1e}", layer, norm);
  return line + "\n";
}

// The JSON fields of the test metrics, between `separator`s.
std::string testMetricFields(const runtime::Evaluation& e, const char* separator) {
  if (e.regression)
    return fmt::format("\"test_rmse\": {1:.6f}{0}\"test_mae\": {2:.6f}{0}\"test_r2\": {3:.6f}", separator, e.rmse,
                       e.mae, e.r2);
  return fmt::format("\"test_accuracy\": {:.6f}", e.accuracy);
}

// `separator`, then the training batches' metric field; "" without one.
std::string trainMetricField(const runtime::EpochReport& r, const char* separator) {
  if (r.trainAccuracy) return fmt::format("{}\"train_accuracy\": {:.6f}", separator, *r.trainAccuracy);
  if (r.trainRmse) return fmt::format("{}\"train_rmse\": {:.6f}", separator, *r.trainRmse);
  return "";
}

// {"h1": 2.3e-01, ...}: one number per layer, in `format`.
std::string layerObject(const LayerNorms& values, const char* format) {
  std::string text;
  for (const auto& [layer, value] : values)
    text += fmt::format("{}\"{}\": {}", text.empty() ? "" : ", ", layer, fmt::format(fmt::runtime(format), value));
  return "{" + text + "}";
}

// One epoch of the history: losses, metrics, learning rate, seconds, and
// the per-layer gradient norms and dead-unit fractions (of the units that
// can die) where measured.
std::string epochJson(const runtime::EpochReport& r, const LayerNorms& gradNorms, const LayerNorms& deadUnits) {
  return fmt::format("    {{\"epoch\": {}, \"train_loss\": {:.6f}{}, \"test_loss\": {:.6f}, {}, "
                     "\"learning_rate\": {:.6g}, \"seconds\": {:.3f}{}{}}}",
                     r.epoch, r.trainLoss, trainMetricField(r, ", "), r.test.loss, testMetricFields(r.test, ", "),
                     r.learningRate, r.seconds,
                     gradNorms.empty() ? "" : ", \"grad_norms\": " + layerObject(gradNorms, "{:.6e}"),
                     deadUnits.empty() ? "" : ", \"dead_units\": " + layerObject(deadUnits, "{:.4f}"));
}

// The last epoch's figures at the top (as before), then `history`: one
// entry per epoch of this run.
std::string metricsJson(const runtime::TrainResult& result, double seconds, int64_t samples,
                        const LayerNorms& gradNorms, const std::vector<std::string>& history) {
  const runtime::EpochReport& last = result.epochs.back();
  std::string entries;
  for (const std::string& entry : history) entries += (entries.empty() ? "" : ",\n") + entry;
  return fmt::format(
      "{{\n  \"epochs\": {},\n  {},\n  \"test_loss\": {:.6f},\n  \"train_loss\": {:.6f}{},\n"
      "  \"seconds\": {:.3f},\n  \"samples_per_second\": {:.1f}{},\n  \"history\": [\n{}\n  ]\n}}\n",
      last.epoch, testMetricFields(last.test, ",\n  "), last.test.loss, last.trainLoss, trainMetricField(last, ",\n  "),
      seconds, seconds > 0 ? static_cast<double>(samples) / seconds : 0.0,
      gradNorms.empty() ? "" : ",\n  \"grad_norms\": " + layerObject(gradNorms, "{:.6e}"), entries);
}

}  // namespace

int runTrain(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs = trainOptions();
  auto options = parseOptions("train", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (options && options->positional().size() != 1)
    diags.error("give one .nn file to train, e.g. nnc train examples/fashion_mlp.nn");
  std::optional<driver::CompilerSettings> flags;
  if (options) flags = parseCompilerFlags(*options, diags, true);
  if (diags.hasErrors()) {
    return failWith(err, diags);
  }
  std::optional<driver::LoadedProgram> loaded = driver::loadProgram(options->positional()[0], diags);
  if (!loaded) {
    return failWith(err, diags);
  }
  const frontend::Program& program = loaded->program;

  // Which training, with the command line's overrides.
  const frontend::TrainingDef* chosen = driver::chooseTraining(
      program, options->get("model"), fmt::format("'{}'", options->positional()[0]), diags);
  if (!chosen) return failWith(err, diags);
  // --load may name the --save file (training goes on where it stopped);
  // nothing else read may be written.
  std::vector<std::string> inputs = driver::programInputs(program);
  if (auto path = options->get("save")) {
    checkWritable("save", *path, diags);
    checkNotAnInput("--save", *path, inputs, diags);
  }
  if (auto load = options->get("load")) inputs.push_back(*load);
  if (auto path = options->get("metrics-json")) {
    checkWritable("metrics-json", *path, diags);
    checkNotAnInput("--metrics-json", *path, inputs, diags);
  }
  std::optional<std::string> plotDir = options->get("plot-dir");
  if (plotDir) checkPlotDirectory(*plotDir, diags);
  frontend::TrainingDef training = *chosen;
  applyTrainingOverrides(*options, training, diags);
  if (auto v = options->get("patience")) training.patience = parseInteger("patience", *v, 1, 1000000, diags).value_or(0);
  std::optional<std::string> bestPath = options->get("save-best");
  if (bestPath) {
    checkWritable("save-best", *bestPath, diags);
    checkNotAnInput("--save-best", *bestPath, inputs, diags);
    if (options->get("save") && *options->get("save") == *bestPath)
      diags.error(fmt::format("--save and --save-best both name '{}': the latest and the best epoch need two files",
                              *bestPath));
  }
  double deadUnitsThreshold = 0.5;
  if (auto v = options->get("dead-units-threshold")) {
    std::optional<double> threshold = parseReal("--dead-units-threshold", *v, diags);
    if (threshold && (*threshold < 0 || *threshold > 1))
      diags.error(fmt::format("--dead-units-threshold needs a fraction from 0 to 1, not '{}'", *v));
    deadUnitsThreshold = threshold.value_or(0);
  }
  const frontend::ModelDef* model = program.model(training.model);
  if (diags.hasErrors() || !model) {
    return failWith(err, diags);
  }

  // A model that cannot fit in memory is refused before anything is loaded.
  const SourceBuffer* source = loaded->mainSource();
  if (std::optional<double> memory = driver::physicalMemoryBytes();
      memory && !driver::checkTrainingMemory(*model, training, *memory, source, diags))
    return failWith(err, diags);
  std::optional<driver::TrainingData> data = driver::loadTrainingData(*model, training, source, diags);
  if (!data) return failWith(err, diags);

  // Compile. Lint warnings are shown now, before a long run.
  std::optional<ir::Graph> graph = driver::compileModelGraph(*model, *loaded, *flags, diags, err);
  if (!graph) {
    return failWith(err, diags);
  }
  printWarnings(err, diags);
  std::optional<driver::NativeModel> native = driver::compileNative(std::move(*graph), training.seed, diags);
  if (!native) return failWith(err, diags);
  backend::CompiledModel& compiled = *native->model;
  runtime::Optimizer optimizer(driver::optimizerSettings(training.optimizer));

  // Training-time lints report like the compiler's, at the model's source.
  passes::PassContext lints(diags, source, flags->lints);
  std::optional<driver::DeadUnitCheck> deadUnits;
  if (lints.lintEnabled("dead-units")) {
    deadUnits.emplace(*model, *loaded->exprs, deadUnitsThreshold);
    compiled.trackOutputMaxima(deadUnits->layers());
  }

  runtime::TrainSettings trainSettings = driver::trainSettings(training);
  // The charts always include the gradient norms: they are the picture of vanishing gradients.
  trainSettings.gradientNorms = options->has("grad-norms") || plotDir;
  if (auto path = options->get("load")) {
    std::optional<int64_t> done = driver::restore(*path, model->name, compiled, optimizer, diags, &trainSettings.watch);
    if (!done) {
      return failWith(err, diags);
    }
    trainSettings.firstEpoch = std::min(*done, training.epochs);
    out << fmt::format("resumed from '{}' after epoch {}\n", *path, *done);
  }

  if (plotDir && !makeOutputDirectory("--plot-dir", *plotDir, diags)) return failWith(err, diags);

  // Train.
  ProgressPrinter progress(out, training.schedule.kind != frontend::ScheduleDef::Kind::None);
  std::optional<std::string> savePath = options->get("save");
  int64_t currentEpoch = trainSettings.firstEpoch + 1;
  runtime::TrainEvents events;
  events.batchDone = [&](int64_t done, int64_t total, double loss) {
    progress.batch(currentEpoch, training.epochs, done, total, loss);
  };
  std::vector<std::string> history;  // --metrics-json's, one entry per epoch
  bool bestSaved = false;            // --save-best written in this run
  events.epochDone = [&](const runtime::EpochReport& report) {
    progress.epoch(report);
    // Gradient norms only when asked for (--plot-dir computes them for its chart).
    LayerNorms norms = options->has("grad-norms") ? driver::layerGradientNorms(*model, report) : LayerNorms{};
    history.push_back(epochJson(report, norms, deadUnits ? deadUnits->fractions(report) : LayerNorms{}));
    if (options->has("grad-norms")) out << gradientNormLine(norms) << std::flush;
    currentEpoch = report.epoch + 1;
    if (deadUnits && deadUnits->check(report, lints)) {
      if (diags.hasErrors()) return false;  // -Werror
      printWarnings(err, diags);
    }
    auto checkpoint = [&] {
      runtime::Checkpoint made = driver::makeCheckpoint(compiled, optimizer, report.epoch, model->name, &report.watch);
      driver::recordTrainingRun(made, training);
      return made;
    };
    if (bestPath && report.best) {
      if (!runtime::saveCheckpoint(*bestPath, checkpoint(), diags)) return false;
      bestSaved = true;
    }
    return !savePath || runtime::saveCheckpoint(*savePath, checkpoint(), diags);
  };
  runtime::TrainResult result = runtime::train(compiled, optimizer, data->train, data->test, trainSettings, events);
  // Also after a failure: the epochs before it show how it came about.
  if (plotDir && !result.epochs.empty()) {
    std::vector<std::string> written = writeTrainingPlots(*plotDir, *model, result.epochs, diags);
    if (!written.empty()) out << "charts:";
    for (const std::string& path : written) out << " " << path;
    if (!written.empty()) out << "\n";
  }
  if (diags.hasErrors() || !result.error.empty() || result.stoppedByCaller) {
    if (!result.error.empty()) diags.error(result.error);
    return failWith(err, diags);
  }
  const runtime::TestLossWatch& watch = result.epochs.empty() ? trainSettings.watch : result.epochs.back().watch;
  std::string stopped = result.stoppedEarly ? fmt::format("stopped early: the test loss has not improved for {} epochs "
                                                          "(the lowest, {:.4f}, was epoch {})\n",
                                                          watch.epochsSinceBest, watch.best, watch.bestEpoch)
                                            : "";
  if (result.epochs.empty()) {
    out << (result.stoppedEarly ? stopped : "nothing to train: the checkpoint is already at the last epoch\n");
    return 0;
  }
  out << stopped;
  double seconds = 0;
  int64_t samples = 0;
  for (const runtime::EpochReport& r : result.epochs) {
    seconds += r.seconds;
    samples += r.samples;
  }
  const runtime::EpochReport& last = result.epochs.back();
  out << fmt::format("{}   ({} epoch{}, {:.2f} s/epoch, {:.0f} samples/s)\n", metrics(last.test),
                     result.epochs.size(), result.epochs.size() == 1 ? "" : "s",
                     seconds / static_cast<double>(result.epochs.size()),
                     seconds > 0 ? static_cast<double>(samples) / seconds : 0.0);
  if (bestPath && bestSaved)
    out << fmt::format("lowest test loss {:.4f} at epoch {}: {}\n", watch.best, watch.bestEpoch, *bestPath);
  else if (bestPath)
    out << fmt::format("no epoch of this run beat the test loss of epoch {} ({:.4f}): {} not written\n",
                       watch.bestEpoch, watch.best, *bestPath);
  if (auto path = options->get("metrics-json");
      path && !writeTextFile(*path,
                             metricsJson(result, seconds, samples,
                                         options->has("grad-norms") ? driver::layerGradientNorms(*model, last) : LayerNorms{},
                                         history),
                             diags)) {
    return failWith(err, diags);
  }
  return 0;
}

}  // namespace nnc::cli

// nnc sweep: the model of a .nn file trained with other activations in
// some of its layers, over several seeds, and the variants compared.
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "driver/ModelChoice.h"
#include "driver/Program.h"
#include "driver/Sweep.h"
#include "driver/SweepReport.h"
#include "driver/TrainingMemory.h"
#include "driver/TrainingSetup.h"
#include "runtime/Parallel.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/CompilerFlags.h"
#include "tools/nnc/Options.h"
#include "tools/nnc/OutputFile.h"
#include "tools/nnc/TrainingOverrides.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc sweep F.nn [--layers A,B] [--acts A,B,...] [--act X]... [--mix 'a:n+b:m']...\n"
    "                      [--per-layer A,B]... [--seeds N] [--epochs N] [--report DIR]\n"
    "                      [--target-accuracy A] [--max-runs N] [--jobs N] [--model NAME]\n"
    "\n"
    "Trains F.nn's model once per (activation variant, seed), with the same initial-weights\n"
    "rule, data order and optimiser for every variant, and compares the variants: test\n"
    "accuracy (mean +- sd, a permutation test against the best), epochs to an accuracy,\n"
    "dead units, gradient-norm ratio, time. Writes DIR/report.md, DIR/results.json (every\n"
    "run, saved as each finishes: a killed sweep run again continues) and SVG charts.\n\n";

std::vector<OptionSpec> sweepOptions() {
  std::vector<OptionSpec> specs = {
      {"layers", "A,B", "the layers to vary (default: every hidden layer with an activation)"},
      {"acts", "A,B,...", "activations to try, each in every varied layer (relu,gelu,prelu,...)"},
      {"act", "X", "one more: an activation with options ('prelu, per_unit') or a formula in x "
                   "('x*sigmoid(1.702*x)')", true},
      {"mix", "A:N+B:M", "a mixed layer: the sizes are shares of each layer's units ('relu:128+tanh:128')", true},
      {"per-layer", "A,B", "one activation per varied layer, in --layers order", true},
      {"seeds", "N", "seeds per variant: the file's seed and the next ones (default 3)"},
      {"report", "DIR", "where the report, results and charts go (default: sweep)"},
      {"target-accuracy", "A", "the accuracy 'epochs to' counts to (default: 98% of the best mean)"},
      {"max-runs", "N", "stop after training N runs; the same command run again goes on from there"},
      {"jobs", "N", "train N runs at once, one thread each (default: one per thread of the pool; 1: one after "
                    "another, each on every core)"},
      {"model", "NAME", "which `train` declaration, when the file has several"},
  };
  for (OptionSpec& spec : trainingOverrideOptions()) specs.push_back(std::move(spec));
  for (OptionSpec& spec : compilerOptions()) specs.push_back(std::move(spec));
  specs.push_back({"help", "", "show this help"});
  return specs;
}

std::string duration(double seconds) {
  auto s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s / 60 % 60)
         : s >= 60 ? fmt::format("{}m{:02}s", s / 60, s % 60)
                   : fmt::format("{}s", s);
}

// One bar over every epoch of the sweep, with the time left at the pace so
// far; on a terminal redrawn in place, elsewhere one line per run.
class SweepProgress {
public:
  SweepProgress(std::ostream& out, size_t runs, int64_t epochs)
      : out_(out), terminal_(isatty(STDOUT_FILENO) == 1), total_(static_cast<int64_t>(runs) * epochs),
        epochs_(epochs), runs_(runs), start_(std::chrono::steady_clock::now()) {}

  void started(size_t, size_t, const std::string& variant, uint64_t seed) {
    label_ = fmt::format("{}, seed {}", variant, seed);
    draw();
  }
  void epoch() {
    ++done_;
    ++trained_;
    draw();
  }
  // Runs finish in any order when several train at once: each line says
  // how many are done and which run it was.
  void finished(const driver::RunRecord& run, bool resumed) {
    ++runsDone_;
    if (resumed) {
      done_ += epochs_;
      return;
    }
    if (terminal_) out_ << "\r\033[K";
    std::string result = run.error.empty() ? fmt::format("test accuracy {:.4f}", run.epochs.back().testAccuracy)
                                           : "failed: " + run.error;
    out_ << fmt::format("{}/{} {}, seed {}: {}\n", runsDone_, runs_, run.variant, run.seed, result) << std::flush;
  }

private:
  void draw() {
    if (!terminal_) return;
    constexpr int kWidth = 24;
    int filled = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : kWidth;
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double perEpoch = trained_ > 0 ? elapsed / static_cast<double>(trained_) : 0;
    std::string left =
        trained_ > 0 ? fmt::format(" {} left", duration(perEpoch * static_cast<double>(total_ - done_))) : "";
    out_ << fmt::format("\r\033[K[{}{}] {}/{} epochs{}  training {}", std::string(static_cast<size_t>(filled), '#'),
                        std::string(static_cast<size_t>(kWidth - filled), '.'), done_, total_, left, label_)
         << std::flush;
  }

  std::ostream& out_;
  bool terminal_;
  int64_t total_, epochs_, done_ = 0, trained_ = 0;
  size_t runs_, runsDone_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::string label_;
};

}  // namespace

int runSweep(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs = sweepOptions();
  auto options = parseOptions("sweep", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (options && options->positional().size() != 1)
    diags.error("give one .nn file, e.g. nnc sweep examples/fashion_mlp.nn --acts relu,gelu");
  std::optional<driver::CompilerSettings> compiler;
  if (options) compiler = parseCompilerFlags(*options, diags, true);
  if (diags.hasErrors()) return failWith(err, diags);
  const std::string& path = options->positional()[0];
  std::optional<driver::LoadedProgram> loaded = driver::loadProgram(path, diags);
  if (!loaded) return failWith(err, diags);
  const frontend::TrainingDef* chosen =
      driver::chooseTraining(loaded->program, options->get("model"), fmt::format("'{}'", path), diags);
  if (!chosen || diags.hasErrors()) return failWith(err, diags);

  driver::SweepSettings settings;
  settings.programPath = path;
  settings.compiler = *compiler;
  // Mixing activations is what a sweep is for, not a slip to note.
  settings.compiler.lints.disabled.insert("mixed-activations");
  settings.training = *chosen;
  applyTrainingOverrides(*options, settings.training, diags);
  if (auto v = options->get("seeds")) settings.seeds = parseInteger("seeds", *v, 1, 1000, diags).value_or(1);
  // Several small runs at once beat one run on every core (fashion_mlp on
  // 2 cores: 1.9x, docs/cli.md): one run per thread of the pool by default.
  settings.jobs = static_cast<size_t>(runtime::threadCount());
  if (auto v = options->get("jobs"))
    settings.jobs = static_cast<size_t>(parseInteger("jobs", *v, 1, 256, diags).value_or(1));
  if (auto v = options->get("max-runs"))
    settings.maxRuns = static_cast<size_t>(parseInteger("max-runs", *v, 1, 1000000, diags).value_or(1));
  std::optional<double> target;
  if (auto v = options->get("target-accuracy")) {
    target = parseReal("--target-accuracy", *v, diags);
    if (target && !(*target > 0 && *target <= 1))
      diags.error(fmt::format("--target-accuracy needs an accuracy above 0 and at most 1, not '{}'", *v));
  }
  const frontend::ModelDef* model = loaded->program.model(settings.training.model);
  if (model && model->targetSize > 0)
    diags.error(fmt::format("nnc sweep compares test accuracy, and model '{}' is trained on real-valued targets",
                            model->name));
  if (diags.hasErrors() || !model) return failWith(err, diags);

  driver::VariantRequest request;
  if (auto v = options->get("layers")) request.layers = splitList(*v);
  if (auto v = options->get("acts")) request.activations = splitList(*v);
  for (const std::string& act : options->all("act")) request.activations.push_back(act);
  request.mixes = options->all("mix");
  for (const std::string& list : options->all("per-layer")) request.perLayer.push_back(splitList(list));
  std::optional<std::vector<driver::ActivationVariant>> variants = driver::planVariants(*model, request, diags);
  if (!variants) return failWith(err, diags);
  settings.variants = std::move(*variants);
  settings.layers = request.layers.empty() ? driver::hiddenLayers(*model) : request.layers;
  // Every variant is checked before the first is trained: a typo found an
  // hour in would waste the hour.
  for (const driver::ActivationVariant& variant : settings.variants)
    driver::applyVariant(*model, variant, *loaded, diags);
  std::string dir = options->get("report").value_or("sweep");
  std::string resultsPath = (std::filesystem::path(dir) / "results.json").string();
  std::optional<driver::SweepRecords> records =
      driver::loadSweepRecords(resultsPath, driver::sweepConfiguration(settings, *loaded, model->name), diags);
  if (diags.hasErrors() || !records) return failWith(err, diags);
  // One run must fit in memory, as for nnc train; runs at once only as many
  // as fit together.
  if (std::optional<double> memory = driver::physicalMemoryBytes()) {
    if (!driver::checkTrainingMemory(*model, settings.training, *memory, loaded->mainSource(), diags))
      return failWith(err, diags);
    double perRun = driver::estimateTrainingMemory(*model, settings.training).total();
    settings.jobs = std::min(settings.jobs, std::max<size_t>(1, static_cast<size_t>(*memory / perRun)));
  }
  std::optional<driver::TrainingData> data =
      driver::loadTrainingData(*model, settings.training, loaded->mainSource(), diags);
  if (!data || !makeOutputDirectory("--report", dir, diags)) return failWith(err, diags);

  size_t runs = settings.variants.size() * static_cast<size_t>(settings.seeds);
  if (!records->runs.empty())
    out << fmt::format("resuming: {} of {} runs are done in '{}'\n", records->runs.size(), runs, resultsPath);
  SweepProgress progress(out, runs, settings.training.epochs);
  driver::SweepEvents events;
  events.runStarted = [&](size_t run, size_t total, const std::string& variant, uint64_t seed) {
    progress.started(run, total, variant, seed);
  };
  events.epochDone = [&](const driver::EpochRecord&) { progress.epoch(); };
  events.runDone = [&](const driver::RunRecord& run, bool resumed) { progress.finished(run, resumed); };
  bool finished = driver::runSweep(settings, *loaded, *model, *data, *records, resultsPath, events, diags);
  printWarnings(err, diags);
  if (!finished) return failWith(err, diags);

  driver::SweepSummary summary = driver::summarizeSweep(settings, *records, target);
  out << "\n" << driver::sweepTable(summary);
  if (records->runs.size() < runs)
    out << fmt::format("stopped after --max-runs: {} of {} runs done; run the same command again to go on\n",
                       records->runs.size(), runs);
  std::vector<std::pair<std::string, std::string>> files = driver::sweepCharts(summary);
  files.emplace_back("report.md", driver::sweepMarkdown(summary, settings, model->name));
  for (const auto& [name, text] : files)
    if (!writeTextFile((std::filesystem::path(dir) / name).string(), text, diags)) return failWith(err, diags);
  out << fmt::format("report: {}\n", (std::filesystem::path(dir) / "report.md").string());
  return 0;
}

}  // namespace nnc::cli

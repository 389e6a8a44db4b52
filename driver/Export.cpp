#include "driver/Export.h"

#include <fmt/format.h>

#include "driver/Checkpoints.h"
#include "driver/ModelChoice.h"
#include "runtime/Checkpoint.h"

namespace nnc::driver {

namespace {

// The parameters' values: drawn as training would start (the JIT-compiled
// model initialises them), then replaced by the checkpoint's if one is given.
std::optional<interop::ParameterValues> parameterValues(const ExportRequest& request, const LoadedProgram& loaded,
                                                        const frontend::ModelDef& model, const ir::Graph& graph,
                                                        Diagnostics& diags) {
  uint64_t seed = 1;
  if (request.seed) seed = *request.seed;
  else if (const frontend::TrainingDef* training = trainingFor(loaded.program, model.name, diags)) seed = training->seed;
  std::optional<NativeModel> native = compileNative(graph, seed, diags);
  if (!native) return std::nullopt;
  if (request.weightsPath) {
    std::optional<runtime::Checkpoint> weights = runtime::loadCheckpoint(*request.weightsPath, diags, modelTensors(model));
    if (!weights) return std::nullopt;
    if (std::string problem = weightsProblem(*weights, model.name); !problem.empty()) {
      diags.error(fmt::format("cannot use '{}' as weights: {}", *request.weightsPath, problem));
      return std::nullopt;
    }
    if (!loadParameters(*weights, fmt::format("'{}'", *request.weightsPath), fmt::format("model '{}'", model.name),
                        native->model->parameters(), diags))
      return std::nullopt;
  }
  interop::ParameterValues values;
  for (const runtime::ParameterRef& parameter : native->model->parameters())
    values[parameter.name] = {parameter.value->shape(),
                              {parameter.value->values().begin(), parameter.value->values().end()}};
  return values;
}

}  // namespace

std::optional<onnx::ModelProto> exportModel(const ExportRequest& request, Diagnostics& diags, std::ostream& log) {
  std::optional<LoadedProgram> loaded = loadProgram(request.programPath, diags);
  if (!loaded) return std::nullopt;
  const frontend::ModelDef* model = chooseModel(loaded->program, request.model,
                                                fmt::format("'{}'", request.programPath), "--model", diags);
  if (!model) return std::nullopt;
  // As built, after the lints: ONNX Runtime fuses and folds by itself, and
  // every op keeps its plain form (a dense layer is a Gemm).
  CompilerSettings settings = request.settings;
  settings.pipeline.training = false;
  settings.pipeline.optimizationLevel = 0;
  settings.pipeline.passes.reset();
  settings.pipeline.foldLinear = false;
  std::optional<ir::Graph> graph = compileModelGraph(*model, *loaded, settings, diags, log);
  if (!graph) return std::nullopt;
  std::optional<interop::ParameterValues> values = parameterValues(request, *loaded, *model, *graph, diags);
  if (!values) return std::nullopt;
  interop::OnnxExportOptions options{model->name, request.producerVersion, request.functions};
  std::optional<onnx::ModelProto> exported = interop::exportOnnx(*graph, *values, options, loaded->mainSource(), diags);
  if (!exported) return std::nullopt;
  if (std::string problem = interop::checkOnnx(*exported); !problem.empty()) {
    diags.error(fmt::format("internal error: the ONNX export of model '{}' fails ONNX's checks: {}", model->name,
                            problem));
    return std::nullopt;
  }
  return exported;
}

}  // namespace nnc::driver

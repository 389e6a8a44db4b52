#include "frontend/ModelSema.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "frontend/ModelDeclSema.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"
#include "frontend/TrainSema.h"
#include "support/InputFile.h"

namespace nnc::frontend {

namespace fs = std::filesystem;

namespace {

// A file's text, or why it cannot be had ("No such file or directory").
// Reads at most kMaxSourceBytes and a byte more, so a huge file (or one
// that never ends, like /dev/zero) is refused rather than read.
std::optional<std::string> readSource(const std::string& path, std::string& whyNot) {
  std::error_code code;
  if (fs::is_directory(path, code)) {
    whyNot = "it is a directory";
    return std::nullopt;
  }
  int fd = openInputFile(path, whyNot);  // never blocks on a FIFO
  if (fd < 0) return std::nullopt;
  std::string text(kMaxSourceBytes + 1, '\0');
  size_t have = 0;
  while (have < text.size()) {
    ssize_t got = ::read(fd, text.data() + have, text.size() - have);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      whyNot = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (got == 0) break;
    have += static_cast<size_t>(got);
  }
  ::close(fd);
  text.resize(have);
  if (text.size() > kMaxSourceBytes) {
    uintmax_t size = fs::file_size(path, code);
    whyNot = fmt::format("it has {} bytes; a .nn file may have at most {} (1 MiB)",
                         code ? fmt::format("more than {}", kMaxSourceBytes) : std::to_string(size), kMaxSourceBytes);
    return std::nullopt;
  }
  return text;
}

// Two spellings of one file (`a.nn`, `./lib/../a.nn`) are one file.
std::string identity(const std::string& path) {
  std::error_code code;
  fs::path canonical = fs::weakly_canonical(path, code);
  return code ? fs::absolute(path, code).lexically_normal().string() : canonical.string();
}

// The activations a file can use: its own and, transitively, its imports'.
struct VisibleActivations {
  Module module;
  std::vector<const SourceBuffer*> definedIn;  // the file of each of module.activations
};

class ProgramLoader {
public:
  ProgramLoader(ir::ExprContext& ctx, Diagnostics& diags) : ctx_(ctx), diags_(diags) {}

  std::optional<Program> run(const std::string& path, std::string text) {
    size_t errorsBefore = diags_.errorCount();
    LoadedFile& main = load(path, identity(path), std::move(text));
    if (!main.ast) return std::nullopt;

    Program program;
    program.activations = main.visible.module;
    if (main.importsOk) {
      ActivationScope scope{program.activations, {}};
      for (const ast::ActivationDecl& decl : main.ast->activations)
        if (!program.activations.activation(decl.name)) scope.withErrors.push_back(decl.name);
      program.models = analyzeModels(main.ast->models, scope, *main.source, ctx_, diags_);
    }
    program.trainings = analyzeTrainings(main.ast->trainings, trainingScope(main), *main.source, diags_);
    program.sources = sources_;
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    return program;
  }

private:
  // A file read and checked once, however many files import it.
  struct LoadedFile {
    bool loading = true;     // still reading its imports: importing it now closes a cycle
    bool ok = false;         // it and its imports have no errors
    bool importsOk = false;  // every import was read and checked without errors
    std::shared_ptr<const SourceBuffer> source;
    std::optional<ast::File> ast;
    VisibleActivations visible;
  };

  // Reads nothing: `text` is the file's. `name` is how diagnostics name it,
  // `key` which file it is.
  LoadedFile& load(const std::string& name, const std::string& key, std::string text) {
    LoadedFile& file = files_[key];
    file.source = std::make_shared<const SourceBuffer>(name, std::move(text));
    sources_.push_back(file.source);
    loading_.push_back({key, name});
    size_t errorsBefore = diags_.errorCount();

    file.ast = parseFile(*file.source, diags_);
    if (file.ast) {
      file.importsOk = true;
      for (const ast::ImportDecl& import : file.ast->imports) file.importsOk &= importInto(file, import);
      // Without everything it imports, its own activations would fail for
      // want of names: report the imports' errors alone.
      if (file.importsOk) {
        Module own = analyzeFile(*file.ast, *file.source, file.visible.module, ctx_, diags_);
        for (const ActivationDef& def : own.activations) makeVisible(file.visible, def, file.source.get());
      }
    }
    file.ok = diags_.errorCount() == errorsBefore;
    file.loading = false;
    loading_.pop_back();
    return file;
  }

  // import "PATH"; in `importer`: its activations become visible there.
  bool importInto(LoadedFile& importer, const ast::ImportDecl& import) {
    const SourceBuffer& source = *importer.source;
    fs::path written(import.path);
    std::string name = written.is_absolute()
                           ? import.path
                           : (fs::path(source.name()).parent_path() / written).lexically_normal().string();
    std::string key = identity(name);
    LoadedFile* imported = nullptr;
    if (auto found = files_.find(key); found != files_.end()) {
      imported = &found->second;
      if (imported->loading) {
        reportCycle(source, import, key);
        return false;
      }
    } else {
      std::string whyNot;
      std::optional<std::string> text = readSource(name, whyNot);
      if (!text) {
        diags_.error(&source, import.range, fmt::format("cannot open '{}': {}", name, whyNot));
        return false;
      }
      imported = &load(name, key, std::move(*text));
    }
    if (!imported->ok) return false;  // its errors are reported where they are
    size_t errorsBefore = diags_.errorCount();
    const VisibleActivations& from = imported->visible;
    for (size_t i = 0; i < from.module.activations.size(); ++i)
      makeVisible(importer.visible, from.module.activations[i], from.definedIn[i]);
    return diags_.errorCount() == errorsBefore;
  }

  // a.nn -> b.nn -> a.nn, from the file that `key` names to the importer.
  void reportCycle(const SourceBuffer& source, const ast::ImportDecl& import, const std::string& key) {
    std::string cycle;
    bool inCycle = false;
    for (const auto& [loadingKey, loadingName] : loading_) {
      inCycle |= loadingKey == key;
      if (inCycle) cycle += loadingName + " -> ";
    }
    for (const auto& [loadingKey, loadingName] : loading_)
      if (loadingKey == key) cycle += loadingName;
    diags_.error(&source, import.range, fmt::format("import cycle: {}", cycle));
  }

  // Two files defining one name is an error (the same file reached along
  // two import paths is not). Each clash is reported once.
  void makeVisible(VisibleActivations& visible, const ActivationDef& def, const SourceBuffer* definedIn) {
    for (size_t i = 0; i < visible.module.activations.size(); ++i) {
      if (visible.module.activations[i].name != def.name) continue;
      const SourceBuffer* first = visible.definedIn[i];
      if (first == definedIn) return;
      if (reportedClashes_.insert({def.name, first, definedIn}).second) {
        diags_.error(definedIn, def.nameRange, fmt::format("activation '{}' is defined twice", def.name));
        diags_.note(first, visible.module.activations[i].nameRange, "first definition is here");
      }
      return;
    }
    visible.module.activations.push_back(def);
    visible.definedIn.push_back(definedIn);
  }

  TrainingScope trainingScope(const LoadedFile& main) const {
    TrainingScope scope;
    for (const ast::ModelDecl& model : main.ast->models) scope.models.push_back(model.name);
    for (const auto& [key, file] : files_)
      if (&file != &main && file.ast)
        for (const ast::ModelDecl& model : file.ast->models) scope.importedModels.push_back(model.name);
    scope.directory = fs::path(main.source->name()).parent_path().string();
    return scope;
  }

  ir::ExprContext& ctx_;
  Diagnostics& diags_;
  std::map<std::string, LoadedFile> files_;  // by identity()
  std::vector<std::shared_ptr<const SourceBuffer>> sources_;  // in the order read: the main file first
  std::vector<std::pair<std::string, std::string>> loading_;  // key and name of each file being loaded, outermost first
  std::set<std::tuple<std::string, const SourceBuffer*, const SourceBuffer*>> reportedClashes_;
};

}  // namespace

std::optional<Program> analyzeProgram(const std::string& path, ir::ExprContext& ctx, Diagnostics& diags) {
  std::string whyNot;
  std::optional<std::string> text = readSource(path, whyNot);
  if (!text) {
    diags.error(fmt::format("cannot open '{}': {}", path, whyNot));
    return std::nullopt;
  }
  return ProgramLoader(ctx, diags).run(path, std::move(*text));
}

std::optional<Program> analyzeProgramText(const std::string& path, std::string text, ir::ExprContext& ctx,
                                          Diagnostics& diags) {
  return ProgramLoader(ctx, diags).run(path, std::move(text));
}

std::optional<ast::File> parseProgramFile(const std::string& path, Diagnostics& diags) {
  std::string whyNot;
  std::optional<std::string> text = readSource(path, whyNot);
  if (!text) {
    diags.error(fmt::format("cannot open '{}': {}", path, whyNot));
    return std::nullopt;
  }
  SourceBuffer source(path, std::move(*text));
  std::optional<ast::File> file = parseFile(source, diags);
  if (diags.hasErrors()) return std::nullopt;
  return file;
}

}  // namespace nnc::frontend

#include "tools/nnc/ExprDump.h"

#include <cctype>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/Printer.h"

namespace nnc::cli {

namespace {

class Dumper {
public:
  // Post-order, iteratively: formulas may be deep.
  size_t number(ir::ExprRef root) {
    std::vector<std::pair<ir::ExprRef, size_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto& [e, next] = stack.back();
      if (ids_.count(e)) {
        stack.pop_back();
        continue;
      }
      if (next < e->numOperands()) {
        ir::ExprRef operand = e->operand(next++);
        if (!ids_.count(operand)) stack.push_back({operand, 0});
        continue;
      }
      emit(e);
      stack.pop_back();
    }
    return ids_.at(root);
  }
  std::string text() const { return text_; }

private:
  void emit(ir::ExprRef e) {
    size_t id = ids_.size();
    ids_[e] = id;
    std::string line;
    if (e->isConst()) line = "const " + ir::printNumber(e->value());
    else if (e->isVar()) line = "var " + e->name();
    else {
      // Functions by their source name (sigmoid), operators by their op name (mul).
      std::string op = e->info().kind == ir::OpKind::Function ? e->info().spelling : e->info().name;
      for (char& c : op) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      line = op;
      for (size_t i = 0; i < e->numOperands(); ++i) line += fmt::format("{}%{}", i ? ", " : " ", ids_.at(e->operand(i)));
    }
    text_ += fmt::format("%{} = {}\n", id, line);
  }
  std::unordered_map<ir::ExprRef, size_t> ids_;
  std::string text_;
};

}  // namespace

std::string dumpExprDag(const std::vector<ir::ExprRef>& outputs, const std::vector<std::string>& names) {
  Dumper dumper;
  std::vector<size_t> roots;
  for (ir::ExprRef e : outputs) roots.push_back(dumper.number(e));
  std::string text = dumper.text();
  for (size_t k = 0; k < roots.size(); ++k)
    text += fmt::format("out{} = %{}{}\n", k, roots[k], k < names.size() ? "   ; " + names[k] : "");
  return text;
}

}  // namespace nnc::cli

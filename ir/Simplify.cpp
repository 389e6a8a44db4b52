#include "ir/Simplify.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "ir/Rewrite.h"
#include "ir/Semantics.h"

namespace nnc::ir {

bool isProvablyPositive(ExprRef e) {
  switch (e->op()) {
    case Op::Const: return e->value() > 0;
    case Op::Exp:
    case Op::Cosh:
    case Op::Sigmoid:
    case Op::Softplus: return true;
    case Op::Add:
    case Op::Mul:
    case Op::Div: return isProvablyPositive(e->operand(0)) && isProvablyPositive(e->operand(1));
    case Op::Pow: return isProvablyPositive(e->operand(0));
    case Op::Sqrt: return isProvablyPositive(e->operand(0));
    case Op::Abs: return isProvablyNonZero(e->operand(0));
    default: return false;
  }
}

bool isProvablyNonZero(ExprRef e) {
  if (isProvablyPositive(e)) return true;
  switch (e->op()) {
    case Op::Const: return e->value() != 0;
    case Op::Neg:
    case Op::Abs: return isProvablyNonZero(e->operand(0));
    case Op::Mul:
    case Op::Div: return isProvablyNonZero(e->operand(0)) && isProvablyNonZero(e->operand(1));
    default: return false;
  }
}

namespace {

// Canonical operand order: smaller formulas first, then by structure, so
// `x*sigmoid(x)*(1 - sigmoid(x))` and `x - x^3` read as people write them.
bool canonicalLess(ExprRef a, ExprRef b) {
  uint32_t sa = a->treeSize(), sb = b->treeSize();
  if (sa != sb) return sa < sb;
  return compareExprs(a, b) < 0;
}

// A product as coefficient * prod(base^exponent).
struct Product {
  double coefficient = 1;
  // Divides by a literal 0: the product is undefined everywhere, so it is
  // left as written instead of being folded (0/0 must not become 0).
  bool dividesByZero = false;
  struct Factor {
    ExprRef base;
    double exponent;
  };
  std::vector<Factor> factors;
};

// A sum as constant + sum(coefficient * term).
struct Sum {
  double constant = 0;
  struct Term {
    ExprRef term;
    double coefficient;
  };
  std::vector<Term> terms;
  std::unordered_map<ExprRef, size_t> index;  // term -> position in terms
};

class Simplifier {
public:
  explicit Simplifier(ExprContext& ctx) : ctx_(ctx) {}

  ExprRef run(ExprRef e) {
    if (auto found = memo_.find(e); found != memo_.end()) return found->second;
    ExprRef result = e;
    if (family(e->op()) != Family::None) {
      result = normalize(withSimplifiedLeaves(e, family(e->op())));
    } else if (e->numOperands() > 0) {
      std::array<ExprRef, 3> operands{};
      for (size_t i = 0; i < e->numOperands(); ++i) operands[i] = run(e->operand(i));
      result = normalize(ctx_.make(e->op(), std::span<const ExprRef>(operands.data(), e->numOperands())));
    }
    memo_.emplace(e, result);
    memo_.emplace(result, result);
    return result;
  }

private:
  // Sums (+, -, unary -) and products (*, /) are simplified whole: their
  // leaves first, then one canonical form of the whole tree. Simplifying each
  // partial sum of a chain of n terms, as a node-by-node walk does, costs
  // O(n^2) flattening (n^3 with the rebuilding): 200 learnable parameters
  // in one formula took 33 s.
  enum class Family { None, Sum, Product };
  static Family family(Op op) {
    switch (op) {
      case Op::Add:
      case Op::Sub:
      case Op::Neg: return Family::Sum;
      case Op::Mul:
      case Op::Div: return Family::Product;
      default: return Family::None;
    }
  }

  // `e` with every node outside its sum or product tree simplified, the
  // tree's own nodes kept as they are (shared subtrees rebuilt once).
  ExprRef withSimplifiedLeaves(ExprRef e, Family tree) {
    if (family(e->op()) != tree) return run(e);
    auto [slot, inserted] = treeMemo_.try_emplace(e, nullptr);
    if (!inserted) return slot->second;
    std::array<ExprRef, 3> operands{};
    for (size_t i = 0; i < e->numOperands(); ++i) operands[i] = withSimplifiedLeaves(e->operand(i), tree);
    ExprRef rebuilt = ctx_.make(e->op(), std::span<const ExprRef>(operands.data(), e->numOperands()));
    treeMemo_[e] = rebuilt;
    return rebuilt;
  }

  // Simplifies a node whose operands are already simplified.
  ExprRef normalize(ExprRef e) {
    for (int round = 0; round < 16; ++round) {
      ExprRef next = normalizeOnce(e);
      if (next == e) return e;
      // A rule may build new nodes above simplified operands: simplify those.
      e = run(next);
    }
    return e;
  }

  ExprRef normalizeOnce(ExprRef e) {
    if (ExprRef folded = foldConstants(e)) return folded;
    ExprRef canonical = e;
    switch (e->op()) {
      case Op::Add:
      case Op::Sub:
      case Op::Neg: canonical = buildSum(collectSum(e)); break;
      case Op::Mul:
      case Op::Div:
      case Op::Pow:
        if (e->op() != Op::Pow || e->operand(1)->isConst()) {
          Product p = collectProduct(e);
          if (!p.dividesByZero) canonical = buildProduct(p);
        }
        break;
      default: break;
    }
    if (canonical != e) return canonical;
    if (auto rewritten = simplifierRules().apply(ctx_, e)) return *rewritten;
    return e;
  }

  // All-constant operands: evaluate, unless the result is not finite (then
  // the formula stays as written, e.g. `1/0`, and evaluates to inf at run time).
  ExprRef foldConstants(ExprRef e) {
    if (e->op() == Op::Where && e->operand(0)->isConst())
      return e->operand(0)->value() != 0 ? e->operand(1) : e->operand(2);
    if (e->numOperands() == 0) return nullptr;
    double values[3] = {0, 0, 0};
    for (size_t i = 0; i < e->numOperands(); ++i) {
      if (!e->operand(i)->isConst()) return nullptr;
      values[i] = e->operand(i)->value();
    }
    double folded = applyOp(e->op(), values);
    return std::isfinite(folded) ? ctx_.constant(folded) : nullptr;
  }

  // ---- products ----

  // Multiplies p by e^k, for a whole number k (1 at the top, -1 under a
  // division, larger under integer powers: (2*x)^2 -> 4*x^2).
  void flattenProduct(ExprRef e, double k, Product& p) {
    switch (e->op()) {
      case Op::Const:
        if (k > 0 || e->value() != 0) {
          p.coefficient *= std::pow(e->value(), k);
          return;
        }
        p.dividesByZero = true;
        break;
      case Op::Mul:
        flattenProduct(e->operand(0), k, p);
        flattenProduct(e->operand(1), k, p);
        return;
      case Op::Div:
        flattenProduct(e->operand(0), k, p);
        flattenProduct(e->operand(1), -k, p);
        return;
      case Op::Neg:
        if (std::fmod(k, 2) != 0) p.coefficient = -p.coefficient;
        flattenProduct(e->operand(0), k, p);
        return;
      case Op::Pow: {
        ExprRef exponent = e->operand(1);
        if (!exponent->isConst()) break;
        double m = exponent->value();
        // Integer powers distribute over products; others (x^0.5) are not
        // valid for negative factors, so they stay a factor of their own.
        if (std::trunc(m) == m) flattenProduct(e->operand(0), k * m, p);
        else if (isProvablyPositive(e->operand(0))) addFactor(p, e->operand(0), k * m);
        else addFactor(p, e, k);  // x^0.5 * x^0.5 is not x where x < 0
        return;
      }
      default: break;
    }
    addFactor(p, e, k);
  }

  // Multiplies in base^exponent. Equal bases are merged in finishFactors().
  void addFactor(Product& p, ExprRef base, double exponent) { p.factors.push_back({base, exponent}); }

  // Merges the exponents of equal bases where that is safe. x^2 * x^3 is
  // x^5 and x^2 / x^6 is x^-4 (still singular at 0, like the original), but
  // x^3 / x stays: cancelling to x^2 would invent a value at x = 0 where the
  // original is 0/0. A base that is never 0 (exp, sigmoid, ...) always merges.
  void finishFactors(Product& p) {
    struct Exponents {
      double positive = 0, negative = 0;
    };
    std::vector<ExprRef> order;
    std::unordered_map<ExprRef, Exponents> byBase;
    for (const Product::Factor& f : p.factors) {
      auto [slot, inserted] = byBase.try_emplace(f.base);
      if (inserted) order.push_back(f.base);
      (f.exponent > 0 ? slot->second.positive : slot->second.negative) += f.exponent;
    }
    p.factors.clear();
    for (ExprRef base : order) {
      Exponents e = byBase[base];
      double total = e.positive + e.negative;
      if (e.negative == 0 || e.positive == 0 || total < 0 || isProvablyNonZero(base)) {
        if (total != 0) p.factors.push_back({base, total});
      } else {
        p.factors.push_back({base, e.positive});
        p.factors.push_back({base, e.negative});
      }
    }
  }

  Product collectProduct(ExprRef e) {
    Product p;
    flattenProduct(e, 1, p);
    finishFactors(p);
    mergeExponentials(p);
    std::stable_sort(p.factors.begin(), p.factors.end(),
                     [](const Product::Factor& a, const Product::Factor& b) {
                       if (a.base != b.base) return canonicalLess(a.base, b.base);
                       return a.exponent > b.exponent;
                     });
    return p;
  }

  // exp(a)^p * exp(b)^q -> exp(p*a + q*b): exp is never 0, so this is
  // always safe, and it cancels `exp(2*x)/exp(x)` to `exp(x)`.
  void mergeExponentials(Product& p) {
    size_t count = 0;
    for (const Product::Factor& f : p.factors) count += f.base->op() == Op::Exp;
    if (count < 2) return;
    ExprRef argument = nullptr;
    std::vector<Product::Factor> others;
    for (const Product::Factor& f : p.factors) {
      if (f.base->op() != Op::Exp) {
        others.push_back(f);
        continue;
      }
      ExprRef term = ctx_.make(Op::Mul, {ctx_.constant(f.exponent), f.base->operand(0)});
      argument = argument ? ctx_.make(Op::Add, {argument, term}) : term;
    }
    p.factors = std::move(others);
    ExprRef merged = run(argument);
    if (!merged->isConst(0)) p.factors.push_back({run(ctx_.make(Op::Exp, {merged})), 1});
  }

  ExprRef power(ExprRef base, double exponent) {
    if (exponent == 1) return base;
    return ctx_.make(Op::Pow, {base, ctx_.constant(exponent)});
  }

  ExprRef multiply(const std::vector<ExprRef>& factors) {
    ExprRef out = nullptr;
    for (ExprRef f : factors) out = out ? ctx_.make(Op::Mul, {out, f}) : f;
    return out;
  }

  // coefficient * numerator / denominator, with a -1 coefficient shown as a
  // minus on the first factor (`-x*y`, not `-1*x*y`).
  ExprRef buildProduct(const Product& p) {
    if (p.coefficient == 0) return ctx_.constant(0);
    std::vector<ExprRef> numerator, denominator;
    for (const Product::Factor& f : p.factors) {
      if (f.exponent > 0) numerator.push_back(power(f.base, f.exponent));
      else denominator.push_back(power(f.base, -f.exponent));
    }
    double c = p.coefficient;
    if (numerator.empty()) {
      numerator.push_back(ctx_.constant(c));
    } else if (c == -1) {
      numerator[0] = ctx_.make(Op::Neg, {numerator[0]});
    } else if (c != 1) {
      numerator.insert(numerator.begin(), ctx_.constant(c));
    }
    ExprRef out = multiply(numerator);
    if (!denominator.empty()) out = ctx_.make(Op::Div, {out, multiply(denominator)});
    return out;
  }

  // ---- sums ----

  void flattenSum(ExprRef e, double scale, Sum& s) {
    switch (e->op()) {
      case Op::Const: s.constant += scale * e->value(); return;
      case Op::Add:
        flattenSum(e->operand(0), scale, s);
        flattenSum(e->operand(1), scale, s);
        return;
      case Op::Sub:
        flattenSum(e->operand(0), scale, s);
        flattenSum(e->operand(1), -scale, s);
        return;
      case Op::Neg: flattenSum(e->operand(0), -scale, s); return;
      default: break;
    }
    // A term: split off its constant coefficient; a constant times a sum
    // is distributed so nested sums merge (`-(a - b)` -> `b - a`).
    Product p = collectProduct(e);
    bool dividesByZero = p.dividesByZero;
    if (dividesByZero) p = Product{1, false, {{e, 1}}};  // keep 1/0 as written
    Product rest = p;
    rest.coefficient = 1;
    ExprRef term = buildProduct(rest);
    double coefficient = scale * p.coefficient;
    if (p.factors.size() == 1 && p.factors[0].exponent == 1 &&
        (term->op() == Op::Add || term->op() == Op::Sub)) {
      flattenSum(term, coefficient, s);
      return;
    }
    if (term->isConst()) {
      s.constant += coefficient * term->value();
      return;
    }
    if (dividesByZero) {  // never merged: 1/0 - 1/0 is NaN, not 0
      s.terms.push_back({term, coefficient});
      return;
    }
    auto [slot, inserted] = s.index.emplace(term, s.terms.size());
    if (inserted) s.terms.push_back({term, coefficient});
    else s.terms[slot->second].coefficient += coefficient;
  }

  Sum collectSum(ExprRef e) {
    Sum s;
    flattenSum(e, 1, s);
    std::erase_if(s.terms, [](const Sum::Term& t) { return t.coefficient == 0; });
    std::stable_sort(s.terms.begin(), s.terms.end(), [](const Sum::Term& a, const Sum::Term& b) {
      return canonicalLess(a.term, b.term);
    });
    return s;
  }

  ExprRef scaled(ExprRef term, double coefficient) {
    Product p = collectProduct(term);
    if (p.dividesByZero) {
      if (coefficient == 1) return term;
      if (coefficient == -1) return ctx_.make(Op::Neg, {term});
      return ctx_.make(Op::Mul, {ctx_.constant(coefficient), term});
    }
    p.coefficient *= coefficient;
    return buildProduct(p);
  }

  // Positive terms first, then a positive constant, then subtractions:
  // `x + 1`, `1 - sigmoid(x)`, `x - x^3`.
  ExprRef buildSum(const Sum& s) {
    ExprRef out = nullptr;
    auto add = [&](ExprRef t) { out = out ? ctx_.make(Op::Add, {out, t}) : t; };
    auto subtract = [&](ExprRef t) {
      out = out ? ctx_.make(Op::Sub, {out, t}) : scaled(t, -1);
    };
    for (const Sum::Term& t : s.terms)
      if (t.coefficient > 0) add(scaled(t.term, t.coefficient));
    if (s.constant > 0) add(ctx_.constant(s.constant));
    for (const Sum::Term& t : s.terms)
      if (t.coefficient < 0) subtract(scaled(t.term, -t.coefficient));
    if (s.constant < 0) {
      if (out) out = ctx_.make(Op::Sub, {out, ctx_.constant(-s.constant)});
      else out = ctx_.constant(s.constant);
    }
    return out ? out : ctx_.constant(0);
  }

  ExprContext& ctx_;
  std::unordered_map<ExprRef, ExprRef> memo_;
  std::unordered_map<ExprRef, ExprRef> treeMemo_;  // withSimplifiedLeaves' results
};

}  // namespace

ExprRef simplify(ExprContext& ctx, ExprRef e) {
  // Canonical forms can expose new rule matches higher up: iterate to a
  // fixed point (in practice two or three rounds).
  for (int round = 0; round < 8; ++round) {
    ExprRef next = Simplifier(ctx).run(e);
    if (next == e) return e;
    e = next;
  }
  return e;
}

}  // namespace nnc::ir

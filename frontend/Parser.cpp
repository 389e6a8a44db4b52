#include "frontend/Parser.h"

#include <cerrno>
#include <cmath>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "NNLexer.h"
#include "NNParser.h"
#include "antlr4-runtime.h"
#include "support/Spelling.h"

namespace nnc::frontend {

namespace grammar = nnc::grammar;

namespace {

// ANTLR counts columns in code points; diagnostics count bytes.
uint32_t byteColumn(const SourceBuffer& source, size_t line, size_t codePointColumn) {
  std::string_view text = source.line(static_cast<uint32_t>(line));
  size_t bytes = 0, codePoints = 0;
  while (bytes < text.size() && codePoints < codePointColumn) {
    unsigned char lead = static_cast<unsigned char>(text[bytes]);
    bytes += lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    ++codePoints;
  }
  return static_cast<uint32_t>(bytes + 1);
}

SourceRange rangeOf(const SourceBuffer& source, const antlr4::Token* token) {
  SourceLoc loc{static_cast<uint32_t>(token->getLine()),
                byteColumn(source, token->getLine(), token->getCharPositionInLine())};
  size_t length = token->getType() == antlr4::Token::EOF ? 1 : token->getText().size();
  return {loc, static_cast<uint32_t>(std::max<size_t>(length, 1))};
}

std::string describeToken(const antlr4::Token* token) {
  if (token->getType() == antlr4::Token::EOF) return "end of input";
  std::string text = token->getText();
  if (text.size() == 1 && static_cast<unsigned char>(text[0]) < 0x20)
    return fmt::format("character 0x{:02x}", static_cast<unsigned char>(text[0]));
  if (token->getType() == grammar::NNLexer::UNEXPECTED_CHAR) {
    if (static_cast<unsigned char>(text[0]) >= 0x80) return fmt::format("character '{}' (not ASCII)", text);
    return fmt::format("character '{}'", text);
  }
  return fmt::format("'{}'", text);
}

// ';' ends a statement; '{' and '}' end the header of a model or train block
// and the block itself.
bool endsStatement(const antlr4::Token* token) {
  std::string text = token->getText();
  return text == ";" || text == "{" || text == "}";
}

// Tokens that are a whole operand: numbers, strings and names (the words that
// are keywords only at the start of a declaration are names elsewhere).
bool isOperand(const antlr4::Token* token) {
  switch (token->getType()) {
    case grammar::NNLexer::NUMBER:
    case grammar::NNLexer::STRING:
    case grammar::NNLexer::IDENT:
    case grammar::NNLexer::IMPORT:
    case grammar::NNLexer::MODEL:
    case grammar::NNLexer::TRAIN:
    case grammar::NNLexer::INPUT:
    case grammar::NNLexer::DENSE:
    case grammar::NNLexer::LOSS: return true;
    default: return false;
  }
}

// "an expression", "')'", "';' or ','": what the parser wanted next.
std::string describeExpected(antlr4::Parser& parser) {
  antlr4::misc::IntervalSet expected = parser.getExpectedTokens();
  bool number = expected.contains(size_t{grammar::NNLexer::NUMBER});
  bool ident = expected.contains(size_t{grammar::NNLexer::IDENT});
  bool string = expected.contains(size_t{grammar::NNLexer::STRING});
  if (number && ident && string) return "a value";
  if (number || ident) {
    if (ident && !number) return "a name";
    return "an expression";
  }
  if (string && expected.size() == 1) return "a file name in quotes";
  // Between declarations (where the words are keywords, not names).
  if (expected.contains(size_t{grammar::NNLexer::IMPORT}) && expected.contains(size_t{grammar::NNLexer::MODEL}))
    return "a declaration (activation, import, model or train)";
  std::vector<std::string> names;
  for (ssize_t type : expected.toList()) {
    if (type == static_cast<ssize_t>(antlr4::Token::EOF)) names.push_back("end of input");
    else names.push_back(parser.getVocabulary().getDisplayName(type));
  }
  if (names.empty()) return "";
  std::string out = names[0];
  for (size_t i = 1; i < names.size(); ++i) out += (i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

// A misspelt keyword (`modle`, `dnese`) reads as a name where the parser
// wanted a keyword: the keyword it is closest to, if any.
std::optional<std::string> misspeltKeyword(antlr4::Parser& parser, const antlr4::Token* offending) {
  antlr4::misc::IntervalSet expected = parser.getExpectedTokens();
  // Where a name may stand, the keywords in the expected set are names too.
  if (offending->getType() != grammar::NNLexer::IDENT || expected.contains(size_t{grammar::NNLexer::IDENT}))
    return std::nullopt;
  std::vector<std::string> keywords;
  for (ssize_t type : expected.toList()) {
    if (type == static_cast<ssize_t>(antlr4::Token::EOF)) continue;
    std::string literal = std::string(parser.getVocabulary().getLiteralName(type));
    if (literal.size() > 2 && std::isalpha(static_cast<unsigned char>(literal[1])))
      keywords.push_back(literal.substr(1, literal.size() - 2));  // 'model' -> model
  }
  return closestSpelling(offending->getText(), keywords);
}

// Turns ANTLR's syntax errors into diagnostics worded like a compiler's.
class SyntaxErrorListener : public antlr4::BaseErrorListener {
public:
  SyntaxErrorListener(const SourceBuffer& source, Diagnostics& diags) : source_(source), diags_(diags) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line,
                   size_t column, const std::string& antlrMessage, std::exception_ptr) override {
    if (!offending) {  // lexer errors cannot happen (UNEXPECTED_CHAR), but be safe
      diags_.error(&source_, {{static_cast<uint32_t>(line), byteColumn(source_, line, column)}, 1},
                   antlrMessage);
      return;
    }
    // After an error, ANTLR's recovery often trips again before the end of
    // the statement. Those follow-on errors are noise: report one per statement.
    if (offending->getTokenIndex() <= suppressUntil_ && suppressUntil_ != kNone) return;
    suppressUntil_ = nextStatementEnd(offending->getTokenIndex(), recognizer);

    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    std::string expected = parser ? describeExpected(*parser) : "";
    std::string got = describeToken(offending);
    std::string message;
    if (offending->getType() == grammar::NNLexer::UNTERMINATED_COMMENT) {
      message = "unterminated /* comment";
    } else if (offending->getType() == grammar::NNLexer::UNTERMINATED_STRING) {
      message = "unterminated string: the closing '\"' is missing";
    } else if (antlrMessage.rfind("missing ", 0) == 0 && !expected.empty()) {
      message = fmt::format("expected {} before {}", expected, got);
    } else if (offending->getType() == grammar::NNLexer::UNEXPECTED_CHAR) {
      message = fmt::format("unexpected {}", got);
    } else if (!expected.empty() && antlrMessage.rfind("no viable", 0) != 0) {
      message = fmt::format("expected {}, found {}", expected, got);
    } else {
      message = fmt::format("unexpected {}", got);
    }
    if (parser) {
      if (auto keyword = misspeltKeyword(*parser, offending)) message += fmt::format("; did you mean '{}'?", *keyword);
      if (antlr4::Token* word = misspeltModelItem(*parser, offending)) {
        offending = word;
        message = fmt::format("expected '}}', 'input', 'dense', 'loss' or a value (NAME = ...), found {}; did you "
                              "mean '{}'?",
                              describeToken(word), *closestSpelling(word->getText(), kModelItemKeywords));
      }
    }
    // One error per position: ANTLR's recovery can report the same spot twice.
    SourceRange range = rangeOf(source_, offending);
    if (range.begin.line == lastLine_ && range.begin.column == lastColumn_) return;
    lastLine_ = range.begin.line;
    lastColumn_ = range.begin.column;
    diags_.error(&source_, range, message);
  }

private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  static inline const std::vector<std::string> kModelItemKeywords{"input", "dense", "loss"};

  // `dnse a(3);` in a model reads as the start of a value `dnse = ...` and
  // fails at `a`: the misspelt keyword is the word before, if it is close
  // to one of the model items' keywords. Null otherwise.
  static antlr4::Token* misspeltModelItem(antlr4::Parser& parser, const antlr4::Token* offending) {
    if (!dynamic_cast<grammar::NNParser::ValueItemContext*>(parser.getContext())) return nullptr;
    size_t index = offending->getTokenIndex();
    if (index == 0) return nullptr;
    antlr4::Token* word = parser.getTokenStream()->get(index - 1);
    if (word->getType() != grammar::NNLexer::IDENT) return nullptr;
    return closestSpelling(word->getText(), kModelItemKeywords) ? word : nullptr;
  }

  // Index of the first token that ends a statement (';', '{' or '}') at or
  // after `index` (the end if none).
  static size_t nextStatementEnd(size_t index, antlr4::Recognizer* recognizer) {
    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    if (!parser) return kNone;
    antlr4::TokenStream* tokens = parser->getTokenStream();
    for (size_t i = index; i < tokens->size(); ++i) {
      antlr4::Token* token = tokens->get(i);
      if (token->getType() == antlr4::Token::EOF) return i;
      if (endsStatement(token)) return i;
    }
    return kNone;
  }

  const SourceBuffer& source_;
  Diagnostics& diags_;
  uint32_t lastLine_ = 0, lastColumn_ = 0;
  size_t suppressUntil_ = kNone;
};

// ANTLR's recovery may delete one unexpected token and carry on. Deleting a
// statement's end would glue two statements together (`f(x) = x + ;` then
// `model m {`, where `model` can also be a name) and report nonsense about
// the second: never delete ';', '{' or '}'.
class KeepStatementEnds : public antlr4::DefaultErrorStrategy {
protected:
  antlr4::Token* singleTokenDeletion(antlr4::Parser* recognizer) override {
    if (endsStatement(recognizer->getCurrentToken())) return nullptr;
    return DefaultErrorStrategy::singleTokenDeletion(recognizer);
  }
};

// The length of the well-formed UTF-8 sequence at text[i], or 0 if there is
// none: a stray continuation byte, a cut sequence, an overlong encoding
// (C0 BC for '<'), a surrogate (ED A0 80) or a code point past U+10FFFF.
size_t utf8Length(const std::string& text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  unsigned char lead = byte(0);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(k) >> 6) != 0x2) return 0;
    code = code << 6 | (byte(k) & 0x3F);
  }
  constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};  // below these, a shorter form exists
  if (code < kSmallest[length] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return 0;
  return length;
}

// Rejects bytes that are not UTF-8 (ANTLR's decoder would throw).
bool checkUtf8(const SourceBuffer& source, Diagnostics& diags) {
  const std::string& text = source.text();
  uint32_t line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = utf8Length(text, i);
    if (length == 0) {
      diags.error(&source, {{line, column}, 1},
                  fmt::format("invalid UTF-8 byte 0x{:02x}; nnc reads UTF-8 text", lead));
      return false;
    }
    if (lead == '\n') {
      ++line;
      column = 1;
    } else {
      column += static_cast<uint32_t>(length);
    }
    i += length;
  }
  return true;
}

// Deep nesting and giant statements would exhaust the stack of the
// recursive-descent parser (and everything after it): refuse them first.
// Nesting counts what the parser recurses on: parentheses, and at each
// parenthesis level the signs and `^`s since the last binary operator
// (`- - x`, `x^x^x` and `-x^-x` each nest one level per operator).
bool checkLimits(const SourceBuffer& source, antlr4::CommonTokenStream& tokens, Diagnostics& diags) {
  std::vector<size_t> chain{0};  // per open parenthesis: nesting from signs and ^
  size_t statementTokens = 0;
  bool operandEnded = false;  // the previous token ends an operand (so +/- is binary)
  for (antlr4::Token* token : tokens.getTokens()) {
    std::string text = token->getText();
    bool isPrefixSign = (text == "-" || text == "+") && !operandEnded;
    if (text == "(") {
      chain.push_back(0);
    } else if (text == ")") {
      if (chain.size() > 1) chain.pop_back();
    } else if (text == "^" || isPrefixSign) {
      ++chain.back();
    } else if (!isOperand(token)) {
      chain.back() = 0;  // a binary operator, ',', ';', '=': the chain ends
    }
    operandEnded = text == ")" || isOperand(token);
    size_t nesting = chain.size() - 1 + chain.back();
    if (nesting > kMaxNesting) {
      diags.error(&source, rangeOf(source, token),
                  fmt::format("expression nested more than {} deep", kMaxNesting));
      return false;
    }
    // The limit is per statement: a model or train block may hold many.
    if (endsStatement(token)) statementTokens = 0;
    if (++statementTokens > kMaxStatementTokens) {
      diags.error(&source, rangeOf(source, token),
                  fmt::format("formula too long: more than {} tokens", kMaxStatementTokens));
      return false;
    }
  }
  return true;
}

// ---- parse tree -> AST --------------------------------------------------

class AstBuilder {
public:
  AstBuilder(const SourceBuffer& source, Diagnostics& diags) : source_(source), diags_(diags) {}

  // file : declaration* EOF
  // declaration : activationDecl | importDecl | modelDecl | trainDecl
  ast::File file(grammar::NNParser::FileContext* ctx) {
    ast::File out;
    for (auto* declaration : ctx->declaration()) {
      if (auto* decl = declaration->activationDecl()) out.activations.push_back(activation(decl));
      if (auto* decl = declaration->importDecl()) out.imports.push_back(importDecl(decl));
      if (auto* decl = declaration->modelDecl()) out.models.push_back(model(decl));
      if (auto* decl = declaration->trainDecl()) out.trainings.push_back(train(decl));
    }
    return out;
  }

  // activationDecl : 'activation' name=ident '(' input=ident (',' otherInputs+=ident)*
  //                  (';' parameter (',' parameter)*)? ')' '=' body=expr ';'
  ast::ActivationDecl activation(grammar::NNParser::ActivationDeclContext* ctx) {
    ast::ActivationDecl out;
    out.name = ctx->name->getText();
    out.nameRange = rangeOf(source_, ctx->name->getStart());
    out.input = ctx->input->getText();
    out.inputRange = rangeOf(source_, ctx->input->getStart());
    for (auto* other : ctx->otherInputs) out.otherInputs.emplace_back(other->getText(), rangeOf(source_, other->getStart()));
    for (auto* p : ctx->parameter()) {
      ast::Parameter parameter;
      parameter.name = p->name->getText();
      parameter.range = rangeOf(source_, p->name->getStart());
      parameter.learnable = p->LEARNABLE() != nullptr;
      parameter.defaultValue = expr(p->value);
      out.parameters.push_back(std::move(parameter));
    }
    out.body = expr(ctx->body);
    return out;
  }

  // importDecl : 'import' path=STRING ';'
  ast::ImportDecl importDecl(grammar::NNParser::ImportDeclContext* ctx) {
    return {unquoted(ctx->path), rangeOf(source_, ctx->path)};
  }

  // modelDecl : 'model' name=ident '{' modelItem* '}'
  // modelItem : 'input' size=signedNumber ';'                                        # inputItem
  //           | 'input' name=ident '[' size=signedNumber (',' dims+=signedNumber)* ']' ';'  # namedInputItem
  //           | 'target' name=ident '[' size=signedNumber ']' ';'                    # targetItem
  //           | 'dense' name=ident '(' units=signedNumber (',' layerOption)* ')' ';'  # denseItem
  //           | 'loss' name=ident ('(' value=ident (',' target=ident)? ')')? ';'     # lossItem
  //           | name=ident '=' value=expr (',' perUnit=PER_UNIT)? ';'                 # valueItem
  //           | 'layer' name=ident '=' DENSE '(' units=signedNumber (',' layerOption)* ')' ';'  # layerItem
  ast::ModelDecl model(grammar::NNParser::ModelDeclContext* ctx) {
    ast::ModelDecl out;
    out.name = ctx->name->getText();
    out.nameRange = rangeOf(source_, ctx->name->getStart());
    for (auto* item : ctx->modelItem()) {
      if (auto* input = dynamic_cast<grammar::NNParser::InputItemContext*>(item))
        out.inputs.push_back(number(input->size));
      else if (auto* target = dynamic_cast<grammar::NNParser::TargetItemContext*>(item))
        out.targets.push_back({target->name->getText(), rangeOf(source_, target->name->getStart()), number(target->size), {}});
      else if (auto* input = dynamic_cast<grammar::NNParser::NamedInputItemContext*>(item))
      {
        ast::InputDecl decl{input->name->getText(), rangeOf(source_, input->name->getStart()), number(input->size), {}};
        for (auto* side : input->dims) decl.imageSides.push_back(number(side));
        out.namedInputs.push_back(std::move(decl));
      }
      else if (auto* dense = dynamic_cast<grammar::NNParser::DenseItemContext*>(item))
        out.layers.push_back(layer(dense->name, dense->units, dense->layerOption()));
      else if (auto* shared = dynamic_cast<grammar::NNParser::LayerItemContext*>(item))
        out.sharedLayers.push_back(layer(shared->name, shared->units, shared->layerOption()));
      else if (auto* value = dynamic_cast<grammar::NNParser::ValueItemContext*>(item))
        out.values.push_back({value->name->getText(), rangeOf(source_, value->name->getStart()), expr(value->value),
                              value->perUnit ? std::optional(rangeOf(source_, value->perUnit)) : std::nullopt});
      else if (auto* loss = dynamic_cast<grammar::NNParser::LossItemContext*>(item))
        out.losses.push_back({loss->name->getText(), rangeOf(source_, loss->name->getStart()),
                              loss->value ? loss->value->getText() : "",
                              loss->value ? rangeOf(source_, loss->value->getStart()) : SourceRange{},
                              loss->target ? loss->target->getText() : "",
                              loss->target ? rangeOf(source_, loss->target->getStart()) : SourceRange{}});
    }
    return out;
  }

  // layerOption : PER_UNIT                                                              # perUnitOption
  //             | activation=ident ('(' (argument (',' argument)*)? ')')? (':' units=signedNumber)?  # activationOption
  // (for `dense NAME(...)`, NAME; for a dense call, the `dense` keyword)
  ast::LayerDecl layer(antlr4::ParserRuleContext* name, grammar::NNParser::SignedNumberContext* units,
                       const std::vector<grammar::NNParser::LayerOptionContext*>& options) {
    ast::LayerDecl out;
    out.name = name->getText();
    out.nameRange = rangeOf(source_, name->getStart());
    out.units = number(units);
    for (auto* option : options) {
      if (auto* perUnit = dynamic_cast<grammar::NNParser::PerUnitOptionContext*>(option)) {
        out.perUnitFlags.push_back(rangeOf(source_, perUnit->getStart()));
        continue;
      }
      auto* use = dynamic_cast<grammar::NNParser::ActivationOptionContext*>(option);
      ast::LayerActivationUse activation;
      activation.call = node(ast::Expr::Kind::Call, use->activation->getStart());
      activation.call->text = use->activation->getText();
      for (auto* argument : use->argument()) addArgument(*activation.call, argument);
      if (use->units) activation.units = number(use->units);
      out.activations.push_back(std::move(activation));
    }
    return out;
  }

  // trainDecl : 'train' model=ident '{' setting* '}'
  // setting : key=ident '=' settingValue ';'
  ast::TrainDecl train(grammar::NNParser::TrainDeclContext* ctx) {
    ast::TrainDecl out;
    out.model = ctx->model->getText();
    out.modelRange = rangeOf(source_, ctx->model->getStart());
    out.range = rangeOf(source_, ctx->getStart());
    for (auto* setting : ctx->setting())
      out.settings.push_back({setting->key->getText(), rangeOf(source_, setting->key->getStart()),
                              settingValue(setting->settingValue())});
    return out;
  }

  // settingValue : signedNumber                                                   # numberValue
  //              | STRING                                                         # stringValue
  //              | name=ident ('(' (settingArgument (',' settingArgument)*)? ')')? # callValue
  // settingArgument : (key=ident '=')? settingValue
  ast::SettingValue settingValue(grammar::NNParser::SettingValueContext* ctx) {
    ast::SettingValue out;
    if (auto* value = dynamic_cast<grammar::NNParser::NumberValueContext*>(ctx)) {
      out.kind = ast::SettingValue::Kind::Number;
      out.number = number(value->signedNumber());
      out.range = out.number.range;
    } else if (auto* value = dynamic_cast<grammar::NNParser::StringValueContext*>(ctx)) {
      out.kind = ast::SettingValue::Kind::String;
      out.text = unquoted(value->STRING()->getSymbol());
      out.range = rangeOf(source_, value->STRING()->getSymbol());
    } else if (auto* value = dynamic_cast<grammar::NNParser::CallValueContext*>(ctx)) {
      out.kind = ast::SettingValue::Kind::Call;
      out.text = value->name->getText();
      out.range = rangeOf(source_, value->name->getStart());
      for (auto* argument : value->settingArgument()) {
        ast::SettingArgument arg;
        if (argument->key) {
          arg.name = argument->key->getText();
          arg.nameRange = rangeOf(source_, argument->key->getStart());
        }
        arg.value = settingValue(argument->settingValue());
        out.arguments.push_back(std::move(arg));
      }
    }
    return out;
  }

  // signedNumber : sign=('-' | '+')? NUMBER
  ast::NumberLiteral number(grammar::NNParser::SignedNumberContext* ctx) {
    antlr4::Token* digits = ctx->NUMBER()->getSymbol();
    ast::NumberLiteral out;
    out.text = digits->getText();
    out.value = std::strtod(out.text.c_str(), nullptr);  // inf if too large: Sema reports it
    out.range = rangeOf(source_, digits);
    if (ctx->sign) {
      SourceRange sign = rangeOf(source_, ctx->sign);
      if (ctx->sign->getText() == "-") out.value = -out.value;
      out.text = ctx->sign->getText() + out.text;
      // The range runs from the sign to the last digit when they share a line.
      if (sign.begin.line == out.range.begin.line)
        out.range.length = out.range.begin.column + out.range.length - sign.begin.column;
      out.range.begin = sign.begin;
    }
    return out;
  }

  // expr : lhs=additive (op=('<' | '<=' | '>' | '>=' | '==' | '!=') rhs=additive)?
  ast::ExprPtr expr(grammar::NNParser::ExprContext* ctx) {
    ast::ExprPtr lhs = additive(ctx->lhs);
    if (!ctx->op) return lhs;
    static const std::pair<const char*, ir::Op> comparisons[] = {
        {"<", ir::Op::Lt}, {"<=", ir::Op::Le}, {">", ir::Op::Gt},
        {">=", ir::Op::Ge}, {"==", ir::Op::Eq}, {"!=", ir::Op::Ne}};
    ir::Op op = ir::Op::Lt;
    for (auto& [spelling, candidate] : comparisons)
      if (ctx->op->getText() == spelling) op = candidate;
    return binary(op, ctx->op, std::move(lhs), additive(ctx->rhs));
  }

  // additive : additive op=('+' | '-') multiplicative | multiplicative
  ast::ExprPtr additive(grammar::NNParser::AdditiveContext* ctx) {
    if (!ctx->op) return multiplicative(ctx->multiplicative());
    ir::Op op = ctx->op->getText() == "+" ? ir::Op::Add : ir::Op::Sub;
    ast::ExprPtr lhs = additive(ctx->additive());  // left first: errors come out in source order
    return binary(op, ctx->op, std::move(lhs), multiplicative(ctx->multiplicative()));
  }

  // multiplicative : multiplicative op=('*' | '/') unary | unary
  ast::ExprPtr multiplicative(grammar::NNParser::MultiplicativeContext* ctx) {
    if (!ctx->op) return unary(ctx->unary());
    ir::Op op = ctx->op->getText() == "*" ? ir::Op::Mul : ir::Op::Div;
    ast::ExprPtr lhs = multiplicative(ctx->multiplicative());
    return binary(op, ctx->op, std::move(lhs), unary(ctx->unary()));
  }

  // unary : op=('-' | '+') unary | power
  ast::ExprPtr unary(grammar::NNParser::UnaryContext* ctx) {
    if (!ctx->op) return power(ctx->power());
    ast::ExprPtr operand = unary(ctx->unary());
    if (ctx->op->getText() == "+") return operand;
    auto out = node(ast::Expr::Kind::Unary, ctx->op);
    out->op = ir::Op::Neg;
    out->operands.push_back(std::move(operand));
    return out;
  }

  // power : base=primary ('^' exponent=unary)?
  ast::ExprPtr power(grammar::NNParser::PowerContext* ctx) {
    ast::ExprPtr base = primary(ctx->base);
    if (!ctx->exponent) return base;
    antlr4::Token* caret = ctx->exponent->getStart();
    for (auto* child : ctx->children)
      if (auto* terminal = dynamic_cast<antlr4::tree::TerminalNode*>(child)) caret = terminal->getSymbol();
    return binary(ir::Op::Pow, caret, std::move(base), unary(ctx->exponent));
  }

  ast::ExprPtr primary(grammar::NNParser::PrimaryContext* ctx) {
    if (auto* number = dynamic_cast<grammar::NNParser::NumberContext*>(ctx)) {
      auto out = node(ast::Expr::Kind::Number, number->NUMBER()->getSymbol());
      out->text = number->NUMBER()->getText();
      out->number = std::strtod(out->text.c_str(), nullptr);  // inf if too large: Sema reports it
      return out;
    }
    if (auto* name = dynamic_cast<grammar::NNParser::NameContext*>(ctx)) {
      auto out = node(ast::Expr::Kind::Name, name->ident()->getStart());
      out->text = name->ident()->getText();
      return out;
    }
    if (auto* dense = dynamic_cast<grammar::NNParser::DenseCallContext*>(ctx)) {
      // primary : DENSE '(' input=expr ',' units=signedNumber (',' layerOption)* ')'   # denseCall
      auto out = node(ast::Expr::Kind::Dense, dense->DENSE()->getSymbol());
      out->text = "dense";
      out->operands.push_back(expr(dense->input));
      out->layer = std::make_unique<ast::LayerDecl>(layer(dense, dense->units, dense->layerOption()));
      out->layer->nameRange = out->range;
      return out;
    }
    if (auto* call = dynamic_cast<grammar::NNParser::CallContext*>(ctx)) {
      auto out = node(ast::Expr::Kind::Call, call->ident()->getStart());
      out->text = call->ident()->getText();
      for (auto* argument : call->argument()) addArgument(*out, argument);
      return out;
    }
    auto* parens = dynamic_cast<grammar::NNParser::ParensContext*>(ctx);
    return expr(parens->expr());
  }

private:
  // argument : (name=ident '=')? value=expr
  void addArgument(ast::Expr& call, grammar::NNParser::ArgumentContext* argument) {
    call.argumentNames.push_back(argument->name ? argument->name->getText() : "");
    call.argumentNameRanges.push_back(argument->name ? rangeOf(source_, argument->name->getStart()) : SourceRange{});
    call.operands.push_back(expr(argument->value));
  }

  // A STRING token's text without its quotes.
  static std::string unquoted(const antlr4::Token* token) {
    std::string text = token->getText();
    return text.size() >= 2 ? text.substr(1, text.size() - 2) : "";
  }

  ast::ExprPtr node(ast::Expr::Kind kind, antlr4::Token* token) {
    auto out = std::make_unique<ast::Expr>();
    out->kind = kind;
    out->range = rangeOf(source_, token);
    return out;
  }

  ast::ExprPtr binary(ir::Op op, antlr4::Token* token, ast::ExprPtr lhs, ast::ExprPtr rhs) {
    auto out = node(ast::Expr::Kind::Binary, token);
    out->op = op;
    out->operands.push_back(std::move(lhs));
    out->operands.push_back(std::move(rhs));
    return out;
  }

  const SourceBuffer& source_;
  Diagnostics& diags_;
};

// Everything ANTLR needs alive while a tree is in use.
struct ParseSession {
  ParseSession(const SourceBuffer& source, Diagnostics& diags)
      : input(source.text()), lexer(&input), tokens(&lexer), parser(&tokens), listener(source, diags) {
    lexer.removeErrorListeners();
    lexer.addErrorListener(&listener);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    parser.setErrorHandler(std::make_shared<KeepStatementEnds>());
  }
  antlr4::ANTLRInputStream input;
  grammar::NNLexer lexer;
  antlr4::CommonTokenStream tokens;
  grammar::NNParser parser;
  SyntaxErrorListener listener;
};

}  // namespace

std::optional<ast::File> parseFile(const SourceBuffer& source, Diagnostics& diags) {
  if (!checkUtf8(source, diags)) return std::nullopt;
  ParseSession session(source, diags);
  session.tokens.fill();
  if (!checkLimits(source, session.tokens, diags)) return std::nullopt;
  size_t errorsBefore = diags.errorCount();
  auto* tree = session.parser.file();
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  ast::File file = AstBuilder(source, diags).file(tree);
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return file;
}

ast::ExprPtr parseFormula(const SourceBuffer& source, Diagnostics& diags) {
  if (!checkUtf8(source, diags)) return nullptr;
  ParseSession session(source, diags);
  session.tokens.fill();
  if (!checkLimits(source, session.tokens, diags)) return nullptr;
  size_t errorsBefore = diags.errorCount();
  auto* tree = session.parser.formula();
  if (diags.errorCount() != errorsBefore) return nullptr;
  ast::ExprPtr formula = AstBuilder(source, diags).expr(tree->expr());
  if (diags.errorCount() != errorsBefore) return nullptr;
  return formula;
}

}  // namespace nnc::frontend

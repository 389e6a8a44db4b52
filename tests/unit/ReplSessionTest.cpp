// The REPL's logic without a terminal: when an entry is complete, what
// completes a word, and that errors leave the session working.
#include <gtest/gtest.h>

#include <sstream>

#include "tools/nnc/ReplEntry.h"
#include "tools/nnc/ReplSession.h"

namespace nnc::cli {
namespace {

TEST(ReplSession, DeclarationsContinueUntilTheirEnd) {
  EXPECT_TRUE(ReplSession::isComplete("f(1)"));
  EXPECT_TRUE(ReplSession::isComplete(":plot f -1 1"));
  EXPECT_TRUE(ReplSession::isComplete("activation f(x) = x;"));
  EXPECT_FALSE(ReplSession::isComplete("activation f(x) ="));
  EXPECT_FALSE(ReplSession::isComplete("activation f(x; a = 1) = a * x"));
  EXPECT_TRUE(ReplSession::isComplete("activation f(x; a = 1) =\n a * x;  # done"));
  EXPECT_FALSE(ReplSession::isComplete("model m {\n input 2;"));
  EXPECT_TRUE(ReplSession::isComplete("model m {\n input 2;\n}"));
  // Open parentheses, a trailing operator, an open block comment.
  EXPECT_FALSE(ReplSession::isComplete("sigmoid(2 *"));
  EXPECT_FALSE(ReplSession::isComplete("1 +"));
  EXPECT_FALSE(ReplSession::isComplete("1 /* a"));
  EXPECT_TRUE(ReplSession::isComplete("1 /* a */"));
  // `activation` as an ordinary name is an expression.
  EXPECT_TRUE(ReplSession::isComplete("activation(1)"));
}

// Fed line by line, an entry is complete exactly when its whole text is.
TEST(ReplSession, EntriesScannedLineByLineAgreeWithTheWholeText) {
  const char* texts[] = {"activation f(x; a = 1) =\n a * x;  # done", "model m {\n input 2;", "model m {\n input 2;\n}",
                         "1 /* a\n b */", "1 /* a\n b", "f(1, # (\n 2)", "activation g(x) = \"a\n b\";",
                         "  \n:plot f", "x /\n/ y"};
  for (const char* text : texts) {
    ReplEntry entry;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) entry.addLine(line);
    EXPECT_EQ(entry.complete(), ReplSession::isComplete(text)) << text;
    EXPECT_EQ(entry.text(), text);
  }
}

// An open entry longer than any source the parser reads is complete, so the
// parser refuses it instead of the REPL gathering lines for ever.
TEST(ReplSession, AnEntryPastTheSourceLimitIsComplete) {
  ReplEntry entry;
  entry.addLine("activation f(x) = (");
  for (int i = 0; i < 200000 && !entry.complete(); ++i) entry.addLine("  x + 1");
  EXPECT_TRUE(entry.complete());
  EXPECT_GT(entry.text().size(), size_t{1} << 20);
  EXPECT_LT(entry.text().size(), (size_t{1} << 20) + 64);
}

TEST(ReplSession, CompletesCommandsActivationsAndFunctions) {
  std::ostringstream out, err;
  ReplSession session(out, err);
  EXPECT_EQ(session.completions("", ":pl"), std::vector<std::string>{":plot"});
  ASSERT_TRUE(session.handle("activation sigmoid_ish(x) = x;"));
  EXPECT_EQ(session.completions("", "sigm"), (std::vector<std::string>{"sigmoid", "sigmoid_ish"}));
  EXPECT_EQ(session.completions("", "acti"), std::vector<std::string>{"activation"});
  // After a command, only activations.
  EXPECT_EQ(session.completions(":plot ", "sig"), std::vector<std::string>{"sigmoid_ish"});
  EXPECT_EQ(session.completions("1 + ", "acti"), std::vector<std::string>{});
}

TEST(ReplSession, ErrorsDoNotEndTheSession) {
  std::ostringstream out, err;
  ReplSession session(out, err);
  EXPECT_TRUE(session.handle("activation f(x) = x^2;"));
  EXPECT_TRUE(session.handle("f(3"));
  EXPECT_TRUE(session.handle(":nonsense"));
  EXPECT_TRUE(session.handle("f(3) + y"));
  EXPECT_TRUE(session.handle("f(3)"));
  EXPECT_EQ(out.str(), "defined f(x)\n9\n");
  EXPECT_NE(err.str().find("unknown name 'y'"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("unknown command ':nonsense'"), std::string::npos) << err.str();
  EXPECT_FALSE(session.handle(":quit"));
}

// :plot over a range of two doubles looped for ever (the session ended).
TEST(ReplSession, PlotRefusesARangeItCannotSample) {
  std::ostringstream out, err;
  ReplSession session(out, err);
  EXPECT_TRUE(session.handle("activation f(x) = x^2;"));
  EXPECT_TRUE(session.handle(":plot f 1 1.0000000000000002"));
  EXPECT_NE(err.str().find("FROM/TO: the range [1, 1.0000000000000002] is too narrow: it holds fewer than 801 "
                           "distinct doubles to sample"),
            std::string::npos)
      << err.str();
  EXPECT_TRUE(session.handle(":plot f -1.7e308 1.7e308"));
  EXPECT_NE(err.str().find("FROM/TO: the range [-1.7e+308, 1.7e+308] is too wide"), std::string::npos) << err.str();
  EXPECT_FALSE(session.handle(":quit"));
}

}  // namespace
}  // namespace nnc::cli

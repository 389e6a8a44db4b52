#pragma once
// The nnc subcommands. Each takes its arguments (after the subcommand name)
// and returns the process exit code: 0 on success, 1 on a user error.
#include <ostream>
#include <string>
#include <vector>

namespace nnc::cli {

using Args = std::vector<std::string>;

int runGrad(const Args& args, std::ostream& out, std::ostream& err);
int runEval(const Args& args, std::ostream& out, std::ostream& err);
int runTrain(const Args& args, std::ostream& out, std::ostream& err);
int runSweep(const Args& args, std::ostream& out, std::ostream& err);
int runCompile(const Args& args, std::ostream& out, std::ostream& err);
int runPredict(const Args& args, std::ostream& out, std::ostream& err);
int runEvaluate(const Args& args, std::ostream& out, std::ostream& err);
int runBackprop(const Args& args, std::ostream& out, std::ostream& err);
int runExport(const Args& args, std::ostream& out, std::ostream& err);
int runTorch(const Args& args, std::ostream& out, std::ostream& err);
int runCheck(const Args& args, std::ostream& out, std::ostream& err);
int runPlot(const Args& args, std::ostream& out, std::ostream& err);
int runRepl(const Args& args, std::ostream& out, std::ostream& err);

}  // namespace nnc::cli

#pragma once
// Draws a chart as text for a terminal with Unicode braille (each character
// cell holds 2x4 dots, so a 60x10 cell panel is 120x40 dots). Each series gets
// its own panel, stacked under the title and sharing the x axis: braille
// cannot tell two lines apart in one cell without colour, and a pipe has none.
//
//   sigmoid(x) on [-5, 5]
//   f(x)
//          1 ┤                        ⢀⣀⡠⠤⠔⠒⠒⠉⠉⠉
//            │  ...
//          0 ┤⣀⣀⣀⣀⣀⡠⠤⠤⠔⠒⠊⠉
//            └────────────────────────────────────
//            -5                 0                5
#include <string>

#include "plot/Chart.h"

namespace nnc::plot {

struct TerminalSize {
  size_t columns = 60;  // character cells of the plot area
  size_t rows = 8;      // per series
};

std::string renderTerminal(const Chart& chart, TerminalSize size = {});

}  // namespace nnc::plot

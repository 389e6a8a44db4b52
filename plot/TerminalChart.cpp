#include "plot/TerminalChart.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "plot/Scale.h"

namespace nnc::plot {

namespace {

constexpr size_t kLabelWidth = 9;

// A grid of braille dots, (0, 0) at the top left.
class BrailleCanvas {
public:
  BrailleCanvas(size_t columns, size_t rows) : columns_(columns), rows_(rows), cells_(columns * rows, 0) {}
  size_t dotsWide() const { return columns_ * 2; }
  size_t dotsHigh() const { return rows_ * 4; }

  void dot(long x, long y) {
    if (x < 0 || y < 0 || x >= static_cast<long>(dotsWide()) || y >= static_cast<long>(dotsHigh())) return;
    // Unicode numbers a cell's dots 1-2-3-7 down the left, 4-5-6-8 down the right.
    static constexpr uint8_t kBits[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};
    cells_[static_cast<size_t>(y / 4) * columns_ + static_cast<size_t>(x / 2)] |= kBits[x % 2][y % 4];
  }

  // Bresenham: steep parts of a curve stay connected.
  void segment(long x0, long y0, long x1, long y1) {
    long dx = std::labs(x1 - x0), dy = -std::labs(y1 - y0);
    long sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, error = dx + dy;
    while (true) {
      dot(x0, y0);
      if (x0 == x1 && y0 == y1) break;
      long twice = 2 * error;
      if (twice >= dy) error += dy, x0 += sx;
      if (twice <= dx) error += dx, y0 += sy;
    }
  }

  // A row of text; empty cells are spaces.
  std::string row(size_t r) const {
    std::string line;
    for (size_t c = 0; c < columns_; ++c) {
      uint8_t bits = cells_[r * columns_ + c];
      if (bits == 0) {
        line += ' ';
        continue;
      }
      char32_t code = 0x2800 + bits;  // three bytes of UTF-8
      line += static_cast<char>(0xE0 | (code >> 12));
      line += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      line += static_cast<char>(0x80 | (code & 0x3F));
    }
    return line;
  }

private:
  size_t columns_, rows_;
  std::vector<uint8_t> cells_;
};

std::string trimRight(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string drawSeries(const Series& series, Range x, TerminalSize size) {
  Range y = dataRange({&series.y}, false);
  BrailleCanvas canvas(size.columns, size.rows);
  auto dotX = [&](double v) { return std::lround((v - x.lo) / (x.hi - x.lo) * static_cast<double>(canvas.dotsWide() - 1)); };
  auto dotY = [&](double v) {
    return std::lround((y.hi - v) / (y.hi - y.lo) * static_cast<double>(canvas.dotsHigh() - 1));
  };
  bool penDown = false;
  long lastX = 0, lastY = 0;
  for (size_t i = 0; i < series.x.size(); ++i) {
    double v = series.y[i];
    // Off the range (an outlier) or not finite: lift the pen.
    if (!std::isfinite(v) || v < y.lo || v > y.hi) {
      penDown = false;
      continue;
    }
    long px = dotX(series.x[i]), py = dotY(v);
    if (penDown) canvas.segment(lastX, lastY, px, py);
    else canvas.dot(px, py);
    penDown = true;
    lastX = px;
    lastY = py;
  }
  // Labels on the top and bottom rows, and on the row of 0 when it is inside.
  std::vector<std::string> labels(size.rows);
  labels.front() = fmt::format("{:.3g}", y.hi);
  labels.back() = fmt::format("{:.3g}", y.lo);
  if (y.lo < 0 && y.hi > 0) {
    size_t zeroRow = static_cast<size_t>(dotY(0) / 4);
    if (zeroRow > 0 && zeroRow + 1 < size.rows) labels[zeroRow].assign(1, '0');  // not = "0": a false -Wrestrict in GCC 12
  }
  std::string out = fmt::format("{}\n", series.label);
  for (size_t r = 0; r < size.rows; ++r)
    out += trimRight(fmt::format("{:>{}} {}{}", labels[r], kLabelWidth, labels[r].empty() ? "│" : "┤", canvas.row(r))) + "\n";
  return out;
}

}  // namespace

std::string renderTerminal(const Chart& chart, TerminalSize size) {
  Range x = chart.xRange.value_or(Range{0, 1});
  if (!chart.xRange && !chart.series.empty() && !chart.series.front().x.empty())
    x = {chart.series.front().x.front(), chart.series.front().x.back()};
  std::string out = chart.title.empty() ? "" : fmt::format("{}\n", chart.title);
  for (const Series& s : chart.series) out += drawSeries(s, x, size);
  std::string axis;
  for (size_t c = 0; c < size.columns; ++c) axis += "─";
  out += fmt::format("{:>{}} └{}\n", "", kLabelWidth, axis);
  // x labels under the left end, the middle and the right end.
  std::string left = fmt::format("{:g}", x.lo), middle = fmt::format("{:g}", (x.lo + x.hi) / 2),
              right = fmt::format("{:g}", x.hi);
  std::string labels(size.columns + 2, ' ');
  auto place = [&](const std::string& text, size_t at) {
    for (size_t i = 0; i < text.size() && at + i < labels.size(); ++i) labels[at + i] = text[i];
  };
  place(left, 0);
  place(middle, size.columns / 2 + 1 - middle.size() / 2);
  place(right, size.columns + 2 > right.size() ? size.columns + 2 - right.size() : 0);
  out += trimRight(fmt::format("{:{}} {}", "", kLabelWidth, labels)) + "\n";
  return out;
}

}  // namespace nnc::plot

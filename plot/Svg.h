#pragma once
// A minimal SVG writer: the few elements charts need, attributes escaped,
// coordinates with two decimals. Text, not a DOM: elements are appended in
// drawing order.
#include <string>
#include <string_view>

namespace nnc::plot {

class SvgWriter {
public:
  SvgWriter(double width, double height);

  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke = "none");
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1,
            std::string_view dash = "");
  // A path's `d` (see PathBuilder), clipped to the clip rectangle `clipId` if given.
  void path(const std::string& d, std::string_view stroke, double width, std::string_view dash = "",
            std::string_view clipId = "", std::string_view cls = "");
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view clipId = "");
  // A closed, filled shape through `points` (x0 y0 x1 y1 ...), see-through by `opacity`.
  void polygon(const std::string& points, std::string_view fill, double opacity, std::string_view clipId = "",
               std::string_view cls = "");
  // anchor: start, middle or end; rotate: degrees about (x, y).
  void text(double x, double y, std::string_view content, std::string_view anchor = "start", double size = 12,
            bool bold = false, double rotate = 0, std::string_view cls = "");
  // <g class="cls">...</g>: a class names what an element is (a panel, a
  // tick label, a series) for readers and for tests of the structure.
  void beginGroup(std::string_view cls);
  void endGroup();
  // Defines a clip rectangle referred to by `id`.
  void clipRect(std::string_view id, double x, double y, double w, double h);

  // The document, closed.
  std::string finish();

private:
  std::string out_;
};

// Builds a path's `d` from points: a non-finite point ends the current
// piece, the next finite one starts a new one (a break in the line).
class PathBuilder {
public:
  void point(double x, double y);
  void breakLine() { penDown_ = false; }
  const std::string& d() const { return d_; }
  bool empty() const { return d_.empty(); }

private:
  std::string d_;
  bool penDown_ = false;
};

// Text escaped for XML content and attribute values.
std::string escapeXml(std::string_view text);

}  // namespace nnc::plot

#include "plot/Svg.h"

#include <cmath>

#include <fmt/format.h>

namespace nnc::plot {

std::string escapeXml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

SvgWriter::SvgWriter(double width, double height) {
  out_ = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
      width, height);
  rect(0, 0, width, height, "white");
}

void SvgWriter::rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke) {
  out_ += fmt::format("<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\" stroke=\"{}\"/>\n",
                      x, y, w, h, escapeXml(fill), escapeXml(stroke));
}

void SvgWriter::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
                     std::string_view dash) {
  out_ += fmt::format("<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n",
                      x1, y1, x2, y2, escapeXml(stroke), width,
                      dash.empty() ? "" : fmt::format(" stroke-dasharray=\"{}\"", escapeXml(dash)));
}

namespace {

std::string classAttribute(std::string_view cls) {
  return cls.empty() ? "" : fmt::format(" class=\"{}\"", escapeXml(cls));
}

}  // namespace

void SvgWriter::beginGroup(std::string_view cls) { out_ += fmt::format("<g{}>\n", classAttribute(cls)); }

void SvgWriter::endGroup() { out_ += "</g>\n"; }

void SvgWriter::path(const std::string& d, std::string_view stroke, double width, std::string_view dash,
                     std::string_view clipId, std::string_view cls) {
  out_ += fmt::format("<path{} d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\"{}{}/>\n",
                      classAttribute(cls), d, escapeXml(stroke), width,
                      dash.empty() ? "" : fmt::format(" stroke-dasharray=\"{}\"", escapeXml(dash)),
                      clipId.empty() ? "" : fmt::format(" clip-path=\"url(#{})\"", escapeXml(clipId)));
}

void SvgWriter::polygon(const std::string& points, std::string_view fill, double opacity, std::string_view clipId,
                        std::string_view cls) {
  out_ += fmt::format("<polygon{} points=\"{}\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\"{}/>\n",
                      classAttribute(cls), points, escapeXml(fill), opacity,
                      clipId.empty() ? "" : fmt::format(" clip-path=\"url(#{})\"", escapeXml(clipId)));
}

void SvgWriter::circle(double cx, double cy, double r, std::string_view fill, std::string_view clipId) {
  out_ += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{}\" fill=\"{}\"{}/>\n", cx, cy, r, escapeXml(fill),
                      clipId.empty() ? "" : fmt::format(" clip-path=\"url(#{})\"", escapeXml(clipId)));
}

void SvgWriter::text(double x, double y, std::string_view content, std::string_view anchor, double size, bool bold,
                     double rotate, std::string_view cls) {
  out_ += fmt::format("<text{} x=\"{:.2f}\" y=\"{:.2f}\" font-size=\"{}\" text-anchor=\"{}\"{}{}>{}</text>\n",
                      classAttribute(cls), x, y, size, escapeXml(anchor), bold ? " font-weight=\"bold\"" : "",
                      rotate == 0 ? "" : fmt::format(" transform=\"rotate({} {:.2f} {:.2f})\"", rotate, x, y),
                      escapeXml(content));
}

void SvgWriter::clipRect(std::string_view id, double x, double y, double w, double h) {
  out_ += fmt::format(
      "<defs><clipPath id=\"{}\"><rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\"/></clipPath></defs>\n",
      escapeXml(id), x, y, w, h);
}

std::string SvgWriter::finish() { return out_ + "</svg>\n"; }

void PathBuilder::point(double x, double y) {
  if (!std::isfinite(x) || !std::isfinite(y)) {
    penDown_ = false;
    return;
  }
  if (!d_.empty()) d_ += ' ';
  d_ += fmt::format("{}{:.2f} {:.2f}", penDown_ ? 'L' : 'M', x, y);
  penDown_ = true;
}

}  // namespace nnc::plot

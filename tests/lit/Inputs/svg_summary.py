"""Prints the structure of an SVG chart written by nnc, for FileCheck.

Parsing it checks that it is well-formed XML. Then, per panel (<g
class="panel">): its title, tick labels, axis labels, and each series'
legend text with the number of pieces its line is drawn in (a jump or a
non-finite value starts a new piece) and its markers.

usage: svg_summary.py FILE.svg
"""
import sys
import xml.dom.minidom


def classed(node, tag, cls):
    return [e for e in node.getElementsByTagName(tag) if e.getAttribute("class") == cls]


def text(e):
    return "".join(n.data for n in e.childNodes if n.nodeType == n.TEXT_NODE)


def main(path):
    doc = xml.dom.minidom.parse(path)
    svg = doc.documentElement
    assert svg.tagName == "svg", svg.tagName
    panels = classed(svg, "g", "panel")
    print(f"svg {svg.getAttribute('width')}x{svg.getAttribute('height')}: {len(panels)} panel(s), "
          f"{len(svg.getElementsByTagName('path'))} path(s)")
    for panel in panels:
        print(f"panel '{' '.join(text(t) for t in classed(panel, 'text', 'title'))}'")
        print("  x ticks:", " ".join(text(t) for t in classed(panel, "text", "x-tick")))
        print("  y ticks:", " ".join(text(t) for t in classed(panel, "text", "y-tick")))
        for label in ("x-label", "y-label"):
            for t in classed(panel, "text", label):
                print(f"  {label}: {text(t)}")
        legends = [text(t) for t in classed(panel, "text", "legend")]
        series = classed(panel, "path", "series")
        assert len(legends) == len(series), (legends, len(series))
        for legend, line in zip(legends, series):
            d = line.getAttribute("d")
            points = d.count("M") + d.count("L")
            print(f"  series '{legend}': {d.count('M')} piece(s), {points} points")
        markers = panel.getElementsByTagName("circle")
        if markers:
            print(f"  markers: {len(markers)}")


if __name__ == "__main__":
    main(sys.argv[1])

"""Checks a sweep's report folder: results.json parses and holds every
(variant, seed) with one record per epoch, each chart is well-formed SVG
with its series, report.md has the table. Prints one line per check."""
import json
import sys
import xml.etree.ElementTree as ET

folder, runs, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
results = json.load(open(f"{folder}/results.json"))
assert len(results["runs"]) == runs, len(results["runs"])
for run in results["runs"]:
    assert [e["epoch"] for e in run["epochs"]] == list(range(1, epochs + 1)), run
    assert 0 <= run["epochs"][-1]["test_accuracy"] <= 1
print(f"results.json: {runs} runs of {epochs} epochs, variants {sorted({r['variant'] for r in results['runs']})}")
for chart in ["accuracy", "final_accuracy", "dead_units", "grad_norms"]:
    root = ET.parse(f"{folder}/{chart}.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    shapes = len(root.findall(f".//{ns}path")) + len(root.findall(f".//{ns}rect"))
    print(f"{chart}.svg: svg with {len(root.findall(f'.//{ns}polygon'))} bands, {shapes > 3 and 'shapes' or 'empty'}")
report = open(f"{folder}/report.md").read()
print("report.md:", report.splitlines()[0])
print("report.md table:", [line for line in report.splitlines() if line.startswith("| variant")][0])

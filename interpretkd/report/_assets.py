"""The report page's style sheet (screen and print) and its one small script.

Both are inlined into the page so that the file stands alone. The script only
zooms the tree; without it the tree shows at full size in its scrolling frame.
"""

CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; } td.name, th.name { text-align: left; }
td.agree { background: #dcefdc; font-weight: bold; }
td.low { background: #f8d7d3; } td.high { background: #dcefdc; }
.note { color: #555; font-size: 0.9em; }
.warn { color: #8a4b00; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.zoom { margin: 0.4em 0; font-size: 0.9em; }
.zoom button { font: inherit; min-width: 2.4em; margin-right: 0.2em; cursor: pointer; }
.zoom output { display: inline-block; min-width: 3.5em; text-align: center; }
.tree-view { overflow: auto; max-height: 80vh; border: 1px solid #ddd;
             padding: 0.5em; background: #fff; }
.tree-view svg { display: block; max-width: none; }
.curve svg, .curve img { max-width: 100%; height: auto; }
.print-only { display: none; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  .zoom, .no-print { display: none; }
  .print-only { display: block; }
  .tree-view { overflow: visible; max-height: none; border: 0; padding: 0; }
  .tree-view svg { max-width: 100%; height: auto; }
  h2 { break-after: avoid-page; }
  table, img, svg, figure, pre { break-inside: avoid-page; }
  pre { white-space: pre-wrap; }
}
"""

# Zoom by resizing the SVG itself (not a CSS transform), so that the scrolling
# frame always fits the drawing and the text stays sharp.
SCRIPT = """
(function () {
  var view = document.getElementById("tree-view");
  var svg = view && view.querySelector("svg");
  var shown = document.getElementById("zoom-level");
  if (!svg || !shown) { return; }
  var width = parseFloat(svg.getAttribute("data-width"));
  var height = parseFloat(svg.getAttribute("data-height"));
  var box = svg.viewBox && svg.viewBox.baseVal;
  var perUnit = box && box.width ? width / box.width : 1;
  var smallest = Infinity;
  svg.querySelectorAll("text").forEach(function (t) {
    var size = parseFloat(t.getAttribute("font-size"));
    if (size > 0 && size < smallest) { smallest = size; }
  });
  var scale = 1;
  function show(s) {
    scale = Math.min(4, Math.max(0.1, s));
    svg.setAttribute("width", (width * scale).toFixed(1) + "px");
    svg.setAttribute("height", (height * scale).toFixed(1) + "px");
    var text = Math.round(scale * 100) + "%";
    if (isFinite(smallest)) {
      text += " (smallest text " + (smallest * perUnit * scale).toFixed(1) + " px)";
    }
    shown.textContent = text;
  }
  document.getElementById("zoom-in").onclick = function () { show(scale * 1.25); };
  document.getElementById("zoom-out").onclick = function () { show(scale / 1.25); };
  document.getElementById("zoom-reset").onclick = function () { show(1); };
  document.getElementById("zoom-fit").onclick = function () {
    show((view.clientWidth - 16) / width);
  };
  show(1);
  // Start with the root in view: wide trees put it far from the left edge.
  var root = svg.querySelector("g.node");
  if (root) {
    var r = root.getBoundingClientRect(), v = view.getBoundingClientRect();
    view.scrollLeft += r.left + r.width / 2 - v.left - view.clientWidth / 2;
  }
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
"""

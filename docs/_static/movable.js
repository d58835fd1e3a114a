// Figures the reader can move (docs/_ext/movable.py). Each `.movable-words` block names a
// static figure, the build's data for it (window.MOVABLE, from _images/movable-<name>.js) and
// the figure's words in the page's language. This script puts controls, a drawing of the data
// for the chosen setting and a sentence that says it into the figure, and hides the static
// image on screen. It computes nothing: every number drawn or said was written by the build.
// Without this script, and in print, the static figure stands.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const words of document.querySelectorAll(".movable-words")) {
    const data = window.MOVABLE && window.MOVABLE[words.dataset.movable];
    const figure = document.getElementById(words.dataset.figure);
    if (data && figure) movable(figure, data, wordsOf(words));
  }
});

const SVG = "http://www.w3.org/2000/svg";
const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
let widgets = 0; // unique ids when a page has several figures

function wordsOf(block) {
  const words = {};
  for (const term of block.querySelectorAll("dt")) {
    words[term.textContent.trim()] = term.nextElementSibling.textContent.trim();
  }
  return words;
}

function svg(tag, attributes, parent) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (parent) parent.append(element);
  return element;
}

function html(tag, attributes, parent) {
  const element = Object.assign(document.createElement(tag), attributes);
  if (parent) parent.append(element);
  return element;
}

function power(log10) {
  return "10" + String(log10).replace(/./g, (c) => SUPERSCRIPT[c]);
}

function movable(figure, data, words) {
  const id = `movable-${++widgets}`;
  const chosen = data.start.slice();
  const widget = html("div", { className: "movable", id });
  html("p", { className: "movable-guide", textContent: words.guide }, widget);
  const controls = html("div", { className: "movable-controls" }, widget);
  const setters = data.controls.map((control, k) =>
    (control.choice ? choice : range)(controls, control, words, `${id}-${k}`, chosen[k], k === 0, (i) => {
      chosen[k] = i;
      draw();
    }),
  );
  const status = html("p", { className: "movable-status", id: `${id}-status` });
  status.setAttribute("aria-live", "polite");
  const panels = html("div", { className: "movable-panels" }, widget);
  panels.setAttribute("role", "img");
  panels.setAttribute("aria-labelledby", status.id);
  widget.append(status);
  const common = data.common;
  const path = common.ellipses ? pathPanel(panels, common, id) : null;
  const curve = curvePanel(panels, common, id);

  function draw() {
    let index = 0;
    for (const [k, control] of data.controls.entries()) index = index * control.values.length + chosen[k];
    const frame = Object.assign({}, common, data.frames[index]);
    for (const set of setters) set(frame);
    if (path) path(frame);
    curve(frame);
    const texts = Object.assign({}, frame.text);
    data.controls.forEach((control, k) => (texts[control.name] = control.text[chosen[k]]));
    status.textContent = words[frame.say].replace(/\{(\w+)\}/g, (all, key) => texts[key] ?? all);
    widget.dataset.frame = index;
  }

  figure.insertBefore(widget, figure.querySelector("figcaption"));
  figure.classList.add("movable-on");
  draw();
}

// A slider over the control's values, its label and current value visible; a frame's "mark"
// (a value of the first control, such as a stability bound) is shown on a scale under it.
function range(parent, control, words, id, start, marked, changed) {
  const box = html("div", { className: "movable-control" }, parent);
  const label = html("label", { htmlFor: id, textContent: words[control.name] + " " }, box);
  const output = html("output", { htmlFor: id }, label);
  const input = html("input", { type: "range", id, min: 0, max: control.values.length - 1, step: 1, value: start }, box);
  input.addEventListener("input", () => changed(Number(input.value)));
  const first = control.values[0];
  const span = control.values[control.values.length - 1] - first;
  const scale = svg("svg", { class: "movable-scale", viewBox: "0 0 100 4", preserveAspectRatio: "none", "aria-hidden": "true" }, box);
  const beyond = svg("rect", { class: "movable-beyond", y: 0, height: 4 }, scale);
  return (frame) => {
    const value = control.text[Number(input.value)];
    output.value = value;
    input.setAttribute("aria-valuetext", value);
    const mark = marked ? frame.mark : undefined;
    scale.style.display = mark === undefined || mark > first + span ? "none" : "";
    if (mark !== undefined) {
      const x = Math.max(0, (100 * (mark - first)) / span);
      beyond.setAttribute("x", x);
      beyond.setAttribute("width", 100 - x);
    }
  };
}

// Radio buttons, one per value, in a group named by the control's words.
function choice(parent, control, words, id, start, marked, changed) {
  const box = html("fieldset", { className: "movable-control movable-choice" }, parent);
  html("legend", { textContent: words[control.name] }, box);
  control.text.forEach((text, i) => {
    const label = html("label", {}, box);
    const input = html("input", { type: "radio", name: id, value: i, checked: i === start }, label);
    label.append(" " + text);
    input.addEventListener("change", () => input.checked && changed(i));
  });
  return () => {};
}

const FRAME = { left: 44, right: 280, top: 24, bottom: 180 };

// The optimizer's path on the quadratic's level sets (ellipses), the minimum marked.
function pathPanel(parent, common, id) {
  const size = 300;
  const plot = svg("svg", { class: "movable-path", viewBox: `0 0 ${size} ${size}`, "aria-hidden": "true" }, parent);
  plot.dataset.extent = common.extent;
  svg("clipPath", { id: `${id}-clip` }, plot).append(svg("rect", { x: 0, y: 0, width: size, height: size }));
  const scale = size / 2 / common.extent;
  const inside = svg("g", { "clip-path": `url(#${id}-clip)` }, plot);
  const levels = svg("g", { class: "movable-levels" }, inside);
  const line = svg("polyline", { class: "movable-line" }, inside);
  const dots = svg("g", { class: "movable-dots" }, inside);
  svg("path", { class: "movable-minimum", d: "M144 150h12M150 144v12" }, inside);
  svg("text", { x: 6, y: 16, class: "movable-label" }, plot).textContent = common.labels.path;
  return (frame) => {
    levels.replaceChildren();
    for (const [rx, ry] of frame.ellipses) {
      svg("ellipse", { cx: 150, cy: 150, rx: rx * scale, ry: ry * scale, transform: `rotate(${-frame.angle} 150 150)` }, levels);
    }
    const points = [];
    for (let i = 0; i + 1 < frame.path.length; i += 2) {
      points.push([150 + (frame.path[i] / 100) * scale, 150 - (frame.path[i + 1] / 100) * scale]);
    }
    line.setAttribute("points", points.map((p) => p.map((v) => v.toFixed(2)).join(",")).join(" "));
    dots.replaceChildren(...points.map(([x, y]) => svg("circle", { cx: x, cy: y, r: 2.2 })));
  };
}

// A curve over the steps, log10 on the vertical axis (data: log10 x 100), and a level line.
function curvePanel(parent, common, id) {
  const plot = svg("svg", { class: "movable-curve", viewBox: "0 0 300 215", "aria-hidden": "true" }, parent);
  const [low, high] = common.ylim;
  const xs = common.x;
  const xmap = common.xlog ? Math.log10 : (v) => v;
  const x = (v) =>
    FRAME.left + ((xmap(v) - xmap(xs[0])) / (xmap(xs[xs.length - 1]) - xmap(xs[0]))) * (FRAME.right - FRAME.left);
  const y = (v) => FRAME.bottom - ((Math.min(Math.max(v, low), high) - low) / (high - low)) * (FRAME.bottom - FRAME.top);
  const axes = svg("g", { class: "movable-axes" }, plot);
  svg("path", { d: `M${FRAME.left} ${FRAME.top}V${FRAME.bottom}H${FRAME.right}` }, axes);
  const every = high - low > 600 ? 2 : 1; // decades between labels
  for (let decade = Math.floor(high / 100); decade >= Math.ceil(low / 100); decade -= every) {
    svg("path", { d: `M${FRAME.left - 3} ${y(100 * decade)}h3` }, axes);
    svg("text", { x: FRAME.left - 5, y: y(100 * decade) + 3, "text-anchor": "end", class: "movable-label" }, axes).textContent = power(decade);
  }
  const ticks = common.xlog ? xs.filter((v) => Number.isInteger(Math.log10(v))) : [xs[0], xs[Math.floor(xs.length / 2)], xs[xs.length - 1]];
  for (const tick of new Set(ticks)) {
    svg("path", { d: `M${x(tick)} ${FRAME.bottom}v3` }, axes);
    svg("text", { x: x(tick), y: FRAME.bottom + 13, "text-anchor": "middle", class: "movable-label" }, axes).textContent = tick;
  }
  svg("text", { x: FRAME.right, y: FRAME.bottom + 27, "text-anchor": "end", class: "movable-label" }, axes).textContent = common.labels.x;
  svg("text", { x: 6, y: 12, class: "movable-label" }, axes).textContent = common.labels.curve;
  const level = svg("line", { class: "movable-level", x1: FRAME.left, x2: FRAME.right }, plot);
  const line = svg("polyline", { class: "movable-line" }, plot);
  return (frame) => {
    level.style.display = frame.line === undefined ? "none" : "";
    if (frame.line !== undefined) for (const end of ["y1", "y2"]) level.setAttribute(end, y(frame.line));
    const points = [];
    frame.curve.forEach((v, i) => {
      if (v === null) return; // overflowed: the run diverged
      points.push(`${x(xs[i]).toFixed(2)},${y(v).toFixed(2)}`);
    });
    line.setAttribute("points", points.join(" "));
  };
}

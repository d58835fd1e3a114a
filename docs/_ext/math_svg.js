// Typesets TeX as SVG with MathJax 3, for math_svg.py: one JSON request per line on stdin,
// {"tex": "...", "display": true}, one JSON answer per line on stdout, {"svg": "..."} or
// {"error": "..."}. The first line written is {"css": "..."}, the stylesheet every page needs.
//
//     node math_svg.js MATHJAX_ES5_FOLDER
"use strict";
const readline = require("readline");

global.MathJax = {
  loader: {
    paths: { mathjax: process.argv[2] },
    require: require,
    load: ["adaptors/liteDOM", "input/tex-full", "output/svg", "a11y/assistive-mml"],
  },
  tex: {
    // An unknown macro is an error, not red text on the page.
    packages: { "[-]": ["noundefined"] },
    formatError: (jax, error) => {
      throw error;
    },
  },
  // Every glyph drawn in place: no shared <defs>, so no ids that could repeat on a page.
  svg: { fontCache: "none" },
  // A hidden MathML copy of each formula, for screen readers.
  options: { enableAssistiveMml: true },
  startup: { typeset: false },
};
require(`${process.argv[2]}/startup.js`);

MathJax.startup.promise.then(() => {
  const adaptor = MathJax.startup.adaptor;
  const write = (answer) => process.stdout.write(JSON.stringify(answer) + "\n");
  write({ css: adaptor.textContent(MathJax.svgStylesheet()) });
  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    const { tex, display } = JSON.parse(line);
    try {
      write({ svg: adaptor.outerHTML(MathJax.tex2svg(tex, { display })) });
    } catch (error) {
      write({ error: error.message });
    }
  });
});

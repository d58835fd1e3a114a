// Sphinx's search scores (the defaults of searchtools.js, Sphinx 9.0), with one change. A
// section whose title holds the whole query and a page whose words merely include it can tie;
// Sphinx then orders them by page title, alphabetically, so "Adam's bias correction" (an
// example) would come before the chapter's section "Bias correction". The title match wins
// the tie instead. tests/test_site.py checks these numbers against Sphinx's own.
var Scorer = {
  score: (result) => result[4] + (result[6] === "title" ? 0.5 : 0),
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};

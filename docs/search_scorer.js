// The book's search ranking (conf.py: html_search_scorer). A reader searching a topic word
// ("Hadamard", "batch norm") wants the chapter: a page or section whose title matches ranks
// above the API objects whose names contain the word, and above the API page itself, whose
// section titles are module names (Sphinx's default puts objects first). Sphinx scores a
// page by its best-matching word alone, so a title holding more of the query's words gets a
// bonus for each ("batch norm": the normalization chapter, not Gradient clipping's "Norm
// clipping" section).
var Scorer = {
  score: (result) => {
    const [docname, title, , , score, , kind] = result;
    const words = (new URLSearchParams(window.location.search).get("q") || "").toLowerCase().split(/\s+/);
    const inTitle = words.filter((w) => w && (title || "").toLowerCase().includes(w)).length;
    const base = docname === "api" || kind === "object" ? score - 30 : score;
    return base + 10 * inTitle;
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: {0: 15, 1: 5, 2: -5},
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};

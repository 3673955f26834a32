// The book's search ranking (conf.py: html_search_scorer). A reader searching a topic word
// ("Hadamard", "batch norm") wants the chapter: a page or section whose title matches ranks
// above the API objects whose names contain the word, and above the API page itself, whose
// section titles are module names (Sphinx's default puts objects first).
var Scorer = {
  score: (result) => {
    const [docname, , , , score, , kind] = result;
    return docname === "api" || kind === "object" ? score - 30 : score;
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

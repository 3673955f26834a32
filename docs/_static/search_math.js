// Search snippets quote their page's text, inline math as TeX (\(W\)): typeset each snippet
// with MathJax when the search adds it (docs/_ext/search_math.py loads both on this page only).
// A snippet is a 240-character window: a formula cut by either edge is dropped, not shown as TeX.
function dropCutFormulas(p) {
  const texts = [...p.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE);
  if (texts.length === 0) return;
  const first = texts[0], last = texts[texts.length - 1];
  for (const [open, close] of [["\\(", "\\)"], ["\\[", "\\]"]]) {
    const c = first.data.indexOf(close), o = first.data.indexOf(open);
    if (c > -1 && (o === -1 || c < o)) first.data = "..." + first.data.slice(c + close.length);
    const lo = last.data.lastIndexOf(open), lc = last.data.lastIndexOf(close);
    if (lo > lc) last.data = last.data.slice(0, lo) + "...";
  }
  // a window that ends inside a delimiter leaves its backslash: "and \..."
  last.data = last.data.replace(/\\+(\.\.\.)?$/, "$1");
}
document.addEventListener("DOMContentLoaded", () => {
  const results = document.getElementById("search-results");
  if (!results) return;
  new MutationObserver(() => {
    const fresh = [...results.querySelectorAll("p.context:not([data-typeset])")];
    if (fresh.length === 0 || !window.MathJax || !MathJax.startup) return;
    fresh.forEach((p) => { p.dataset.typeset = "1"; dropCutFormulas(p); });
    MathJax.startup.promise.then(() => MathJax.typesetPromise(fresh));
  }).observe(results, { childList: true, subtree: true });
});

# make html | pdf | epub | test | check | serve | clean | mutation | mutation-core | bench     (the first target run creates .venv)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SPHINXOPTS ?= -j auto -q
# the PDF's and the EPUB's file name (conf.py: latex_documents, epub_basename)
BOOKNAME   := backprop-derived-and-verified
# The book is always built strictly: nitpicky, warnings are errors, report them all,
# and a failure prints its whole traceback (the failed check by name), not a temp file.
# Sphinx's parsed pages (.doctrees) live beside the HTML, not in it: removing _build/html
# rewrites the HTML from them without reading (or executing) a page again. The PDF and the
# EPUB are built by the same command, from the same parsed pages and execution cache (after
# `make html` they read and execute nothing again), each by its own Sphinx builder (-b).
SPHINXBUILD = $(BIN)/sphinx-build -c . docs -d _build/.doctrees -n -W --keep-going -T $(SPHINXOPTS)

.PHONY: html pdf epub test check serve clean distclean venv mutation mutation-core bench
.DEFAULT_GOAL := html

venv: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[docs,test]'
	touch $@

html: $(STAMP)
	$(SPHINXBUILD) _build/html
	@echo "The book is in _build/html/index.html"

# The whole book as one PDF, typeset by xelatex (Debian: latexmk texlive-xetex
# texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-lang-chinese
# texlive-lang-cjk fonts-freefont-otf fonts-wqy-microhei libcairo2; .ci/run installs them).
# A LaTeX error fails it, and so does, once latexmk has run LaTeX as often as it takes, a
# reference or citation left undefined or a character missing from the fonts.
pdf: $(STAMP)
	$(SPHINXBUILD) -b latex _build/latex
	$(MAKE) --no-print-directory -C _build/latex $(BOOKNAME).pdf LATEXMKOPTS="-silent" \
	  LATEXOPTS="-halt-on-error -interaction=nonstopmode -file-line-error"
	@! grep -E -A2 "undefined (references|citations)|Reference .* undefined|Citation .* undefined|Missing character" \
	  _build/latex/$(BOOKNAME).log
	@echo "The book is in _build/latex/$(BOOKNAME).pdf"

# The book as an EPUB 3, its math as MathML (no JavaScript: docs/_ext/mathml.py), checked by
# epubcheck (Debian: apt-get install epubcheck), whose any error fails it. Debian's
# /usr/bin/epubcheck is the jar itself, which runs only where binfmt_misc knows jars (not in
# most containers): it is run by java. Every page is written again (-a: 10 s), so that a change
# to the math's conversion (docs/_ext/mathml.py), which Sphinx does not track, leaves no stale page.
EPUBCHECK ?= java -jar /usr/share/java/epubcheck.jar
epub: $(STAMP)
	$(SPHINXBUILD) -b epub -a _build/epub
	$(EPUBCHECK) -q _build/epub/$(BOOKNAME).epub
	@echo "The book is in _build/epub/$(BOOKNAME).epub"

# One BLAS thread per process, as the book's kernels (conf.py): the tests and the book they
# build share stored check results, which are keyed by the thread counts.
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

# Two processes (pytest-xdist): one starts with the book's build while the other runs the unit
# tests; the registered checks the tests and the pages read run once (conftest.py).
test: $(STAMP)
	$(ONE_THREAD) $(BIN)/python -m pytest -n 2

# The edit-test loop: every test but the book builds and the browser (make test runs them all),
# in two processes as make test. A topic's registered checks run again only when a source they
# depend on changed: their results are kept in the book's store (make html reads it too).
check: $(STAMP)
	$(ONE_THREAD) DERIVATIONS_CHECK_STORE=.cache/checks $(BIN)/python -m pytest -q -m "not book and not browser" -n 2

# Mutation testing (slow, not in CI): config in pyproject.toml [tool.mutmut]; results in mutants/.
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

# verify.py's symbolic core against its own unit tests (make mutation would take hours on it)
mutation-core: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	$(BIN)/python -m tests.mutation_core

# Benchmarks (slow, run on an idle machine): book build, kernels, imports, test suite -> _build/bench.json
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

serve: html
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

# Removes the HTML, the executed notebooks and the execution cache (_build/.jupyter_cache):
# the next `make html` executes every page again. The .venv and the store of check results
# (.cache/checks, keyed by the sources' digest: a proof is not redone for unchanged sources)
# stay; `make distclean` removes them too.
clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) .cache

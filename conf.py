"""Sphinx configuration of the book. Build it with `make html` (the Makefile holds the command)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
sys.path.insert(0, str(ROOT))  # autodoc and the pages import `derivations` from this checkout

from derivations import __version__  # noqa: E402
from derivations.provenance import THREAD_ENV  # noqa: E402

# The pages' kernels inherit this environment. An exported MPLBACKEND=Agg would make every
# figure silently disappear; the book's figures go through the inline backend, always.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
os.environ["MATPLOTLIBRC"] = str(ROOT / "docs" / "matplotlibrc")
# Reproducible output: matplotlib stamps every SVG with the build time unless SOURCE_DATE_EPOCH
# is set (and the images are named by their content's hash). A fixed default (2026-01-01) makes
# two builds of the same sources byte-identical; set it yourself to override.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
# The build runs one page per core at once (-j auto): a multithreaded BLAS in each kernel would
# only fight the other pages for the same cores, and its results would depend on the thread
# count. One thread per kernel; set them yourself to override.
# (The stored check results are keyed by these too: derivations.provenance.THREAD_ENV.)
for _var in THREAD_ENV:
    os.environ.setdefault(_var, "1")
# The pages' kernel is docs/_jupyter/kernels/python3 (JUPYTER_PATH is searched first, before a
# user's own kernelspecs): ipykernel's spec with --IPKernelApp.log_level=ERROR. ipykernel >= 7.3
# warns at every start that its loopback TCP sockets are unencrypted, a line per page a reader
# cannot act on; the fix of its cause (KernelManager.transport_encryption = "auto") needs the
# kernel manager's config, which myst-nb 1.4 does not pass on. Kernel errors are still printed,
# and a failing cell still fails the build (nbclient reports it, not the kernel's log).
os.environ["JUPYTER_PATH"] = os.pathsep.join([str(ROOT / "docs" / "_jupyter"),
                                              os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)

project = "Backprop, Derived and Verified"
author = "The Backprop, Derived and Verified authors"
copyright = "2026, " + author
release = __version__                       # derivations.__version__, its one source
version = ".".join(__version__.split(".")[:2])

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinxcontrib.bibtex",
    "sphinx_copybutton",
    "sphinx_design",
    "offline_mathjax",
    "search_math",
    "fresh_pages",
    "check_citations",
    "proof_links",
    "exercise_notebooks",
    "executed_notebooks",
    # the PDF: the figures (SVG) converted to PDF by cairosvg, for LaTeX; the book's structure
    "sphinxcontrib.cairosvgconverter",
    "latex_book",
    # the EPUB: its math as MathML, its builder
    "mathml",
    "epub_book",
]

exclude_patterns = ["_ext", "_static", "_jupyter", "**.ipynb_checkpoints", "matplotlibrc", "search_scorer.js"]
numfig = True
math_numfig = True
math_eqref_format = "({number})"
numfig_secnum_depth = 1  # Fig. 2.1, (2.3): numbered within chapters

# --- MyST and myst-nb
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "substitution"]
myst_dmath_double_inline = True
myst_heading_anchors = 3
nb_execution_mode = "cache"
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_show_tb = True
nb_execution_timeout = 300
nb_merge_streams = True
nb_render_markdown_format = "myst"

# --- bibliography
bibtex_bibfiles = ["docs/references.bib"]  # relative to conf.py
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# --- autodoc (the API page)
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# defaults as written in the source (claims=CLAIMS), not the repr of the value (63 kB of text)
autodoc_preserve_defaults = True
# numpy.typing.ArrayLike by its name, not the 300-character union it stands for
autodoc_type_aliases = {"ArrayLike": "ArrayLike"}
autodoc_default_options = {"members": True, "undoc-members": False}
nitpick_ignore_regex = [
    # types in signatures that no inventory documents (no intersphinx: the build is offline)
    (r"py:class", r"(np|numpy|sp|sympy|collections\.abc|typing)\..*"),
    (r"py:class", r"(Callable|Iterable|Sequence|Check|Activation|optional)"),
    (r"py:class", r"types\.ModuleType|matplotlib\..*"),
    # numpy.typing.ArrayLike, shown by its name (autodoc_type_aliases); no inventory has it offline
    (r"py:class", r"'?ArrayLike'?|TypeAliasForwardRef"),
]

# --- HTML
html_theme = "sphinx_book_theme"
# MathJax, named: with a second renderer registered (mathml, the EPUB's) Sphinx would pick that
html_math_renderer = "mathjax"
html_title = project
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
    # pydata-sphinx-theme 0.20 puts a search field in a header bar of its own unless this is set
    # (sphinx-book-theme's empty default is not seen): 54 px above every page, a second search
    # field beside the sidebar's; an empty bar of 16 px on a phone.
    "navbar_persistent": [],
}
html_static_path = ["docs/_static"]
templates_path = ["docs/_templates"]   # layout.html: search snippets are the article's text
html_search_scorer = str(ROOT / "docs" / "search_scorer.js")   # chapters rank above API objects
html_favicon = "docs/_static/favicon.svg"   # a check mark; without one every page asks for /favicon.ico (a 404)
html_css_files = ["book.css"]
html_context = {"default_mode": "light"}  # an empty mode makes the theme log a console error
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

# No general or module index pages: the book has search and an API page, and each index
# is regenerated on every build (0.6 s of a no-change rebuild).
html_use_index = False
html_domain_indices = False

# --- PDF (make pdf: LaTeX, xelatex) and EPUB (make epub); the file name is the Makefile's BOOKNAME
BOOKNAME = "backprop-derived-and-verified"
epub_basename = BOOKNAME

# The figures are SVG (vector); LaTeX takes them as PDF, which sphinxcontrib.cairosvgconverter
# makes from the SVG. Without this myst-nb would give LaTeX a figure's text/plain repr.
nb_mime_priority_overrides = [("latex", "image/svg+xml", 15)]
latex_engine = "xelatex"   # Unicode text (the checks' names: ρ, ‖, ≤) in the Free fonts
# The root page's introduction becomes the preface; its toctrees become the front matter
# (notation), the chapters, numbered as in the HTML, and the appendices (docs/_ext/latex_book.py).
latex_documents = [("index", f"{BOOKNAME}.tex", project, author, "manual", False)]
latex_docclass = {"manual": "book"}    # \frontmatter, \mainmatter, \backmatter
latex_toplevel_sectioning = "chapter"
latex_show_urls = "no"
latex_domain_indices = False
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    "extraclassoptions": "openany,oneside",   # read on a screen: no blank pages
    # the contents pages are the first of the front matter (roman page numbers, no reset later)
    "preamble": r"""
% chapters are numbered, sections not: as in the HTML (latex_book.py)
\setcounter{secnumdepth}{0}
% the Chinese of the posts the errata page quotes (Debian: texlive-lang-cjk fonts-wqy-microhei);
% quotation marks, dashes and ellipses stay in the Latin fonts, as English sets them
\usepackage{xeCJK}
\setCJKmainfont{WenQuanYi Micro Hei}
\setCJKsansfont{WenQuanYi Micro Hei}
\setCJKmonofont{WenQuanYi Micro Hei Mono}
\xeCJKDeclareCharClass{Default}{"2018, "2019, "201C, "201D, "2013, "2014, "2026, "00B7}
% characters the Free fonts lack in some faces (make pdf fails on any other missing one)
\usepackage{newunicodechar}
\newunicodechar{⊙}{\ensuremath{\odot}}
\newunicodechar{★}{\ensuremath{\bigstar}}
\newunicodechar{ᵀ}{\textsuperscript{T}}
% No table of the book has a caption (the HTML numbers none): a table continued on the next page
% says "continued from previous page" without a number found nowhere else. (Sphinx's longtable
% writes \sphinxtablecontinued{\tablename\ \thetable{} \textendash{} continued ...}; within
% it, and only there, the name is empty and \thetable eats the rest up to the dash.)
\let\booktablecontinued\sphinxtablecontinued
\renewcommand*{\sphinxtablecontinued}[1]{%
  \begingroup\def\tablename{}\def\thetable##1\textendash##2{}\booktablecontinued{#1}\endgroup}
% The bibliography is the chapter of the references page (the back matter), not one of its own
% (and its running head says so: babel would reset a \bibname set in the preamble)
\makeatletter
\renewenvironment{sphinxthebibliography}[1]{%
  \renewcommand{\bibname}{References}\def\chapter*##1{}\begin{thebibliography}{#1}}{\end{thebibliography}}
% One-sided (read on a screen: no blank page before a chapter). sphinxmanual.cls takes the
% "oneside" option for itself and does not pass it on to the book class, whose default is twoside.
\@twosidefalse\@mparswitchfalse
% the contents begin the front matter (latex_book.py)
\renewcommand{\sphinxtableofcontents}{%
  \frontmatter\renewcommand{\contentsname}{Contents}%
  \begingroup\parskip\z@skip\sphinxtableofcontentshook\tableofcontents\endgroup}
\makeatother
""",
    # the HTML has search, no index pages
    "makeindex": "",
    "printindex": "",
    "sphinxsetup": "verbatimwrapslines=true, verbatimforcewraps=true",
}

# The EPUB's math is MathML (docs/_ext/mathml.py: epub_math_renderer), its builder the one of
# docs/_ext/epub_book.py; its package metadata:
epub_title = project
epub_author = author
epub_publisher = author
epub_contributor = author
epub_copyright = copyright
epub_description = ("The mathematics of training neural networks, derived by SymPy and checked "
                    "by NumPy: every formula of the book was verified before it was printed.")
# the book's identifier, which toc.ncx names by epub_uid and content.opf by epub_identifier:
# epubcheck requires the two to be the same (and epub_uid is an XML name)
epub_identifier = epub_uid = f"{BOOKNAME}-{release}"
# The e-reader's menu (nav.xhtml, toc.ncx) from every toctree of the index, which are all
# hidden (the index lists the chapters in its own words): the front page, notation, the
# chapters and the reference pages, each with its sections; not their subsections, which on
# the API page are its 400 functions and classes
epub_tocscope = "includehidden"
epub_tocdepth = 2
# the EPUB's stylesheets, in place of html_css_files: the book's, and one that fits figures and
# code to an e-reader's page
epub_css_files = ["book.css", "epub-book.css"]
epub_show_urls = "no"          # a link is a link in an e-reader: no URL printed after it
# the HTML's own files that no page of the EPUB uses (the favicon, the copy button's icons)
epub_exclude_files = ["_static/favicon.svg", "_static/check-solid.svg", "_static/copy-button.svg"]

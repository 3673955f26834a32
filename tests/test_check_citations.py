"""The {check} role: a cited check must be a row of the page's Verified box, or the build fails."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PAGE = """# A page

A claim ({check}`{cited}`).

## Verified

| check | method | error | tolerance | result |
|---|---|---|---|---|
| the claim's proof, n = 2 | symbolic | 0 | 0 | pass |
"""


def build(tmp_path: Path, cited: str) -> subprocess.CompletedProcess:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'check_citations']\nmyst_heading_anchors = 3\n")
    (src / "index.md").write_text(PAGE.replace("{cited}", cited), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)


def test_a_check_of_the_box_may_be_cited(tmp_path):
    proc = build(tmp_path, "the claim's proof, n = 2")
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8").replace("\u2019", "'")
    assert 'href="#verified"' in html and "\u2713 the claim's proof, n = 2" in html


@pytest.mark.parametrize("cited", ["the claim's proof, n = 3", "another check"])
def test_a_check_not_in_the_box_fails_the_build(tmp_path, cited):
    proc = build(tmp_path, cited)
    assert proc.returncode != 0
    assert f"check \"{cited}\" is cited, but the page's checks() has no check of that name" in proc.stderr \
        or f"check '{cited}' is cited" in proc.stderr, proc.stderr

"""``python -m derivations``: one table of every check, exit status 1 on any failure."""

import subprocess
import sys

import pytest

from derivations import __main__ as cli
from derivations import verify
from derivations.symbolic import topics as symbolic


def test_runs_the_checks_of_the_topics_asked_and_exits_zero(checks_of):
    # two of the quickest topics in a subprocess (tests/test_checks.py runs every topic's
    # checks; all of them here would run every check of the book once more)
    asked = ["verification", "clipping"]
    proc = subprocess.run([sys.executable, "-m", "derivations", *asked], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["topic", "check", "method", "error", "tolerance", "result", "time"]
    rows = [ln for ln in lines[2:] if ln.startswith(symbolic.TOPICS)]
    expected = [c for topic in asked for c in checks_of(topic)]
    assert [r.split()[0] for r in rows] == [c.topic for c in expected]
    assert all("pass" in ln.split() and "FAIL" not in ln for ln in rows)
    assert lines[-1] == f"{len(expected)} passed, 0 failed"


def test_no_topic_means_every_topic(monkeypatch, capsys):
    asked = []
    monkeypatch.setattr(cli, "all_checks", lambda topics: asked.extend(topics) or [])
    assert cli.main([]) == 0
    assert tuple(asked) == symbolic.TOPICS


def test_exit_status_is_one_when_a_check_fails(monkeypatch, capsys):
    bad = verify.Check("activations", "a broken formula", "central-difference", 0.3, 1e-7, False)
    good = verify.Check("activations", "a right one", "symbolic", 0.0, 0.0, True)
    monkeypatch.setattr(cli, "all_checks", lambda topics: [good, bad])
    assert cli.main([]) == 1
    out = capsys.readouterr().out
    assert "a broken formula" in out and "FAIL" in out and out.rstrip().endswith("1 passed, 1 failed")


def test_unknown_topic_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-topic"])
    assert exc.value.code == 2 and "unknown topic 'no-such-topic'" in capsys.readouterr().err

"""The HTML report opened in a real browser: Debian's chromium, driven by its chromedriver through Selenium.

Each page is checked as a person would see it: no console errors, the timeline's saves and
sessions counted from the DOM against what the run's own files say, a screenshot that is not
blank, and for a project full of markup in its names and log lines, that nothing of it runs.
Where chromium is not installed the tests skip, saying so; under CI (`CI` set, as `.ci/run`
is run) a missing browser fails them instead, so CI can never pass without a browser.

`AUDIT_STATUS_RUN=DIR` opens the report of that run of our trainer (CI sets it to
results/status_training after scripts/status.sh); without it the test makes the same kind
of run in miniature (two time-limited sessions of `magvit train`, the second auto-resuming).
`AUDIT_BROWSER_SHOTS=DIR` keeps the screenshots there.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
FOREIGN = FIXTURES / "foreign_restart_project"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,1800", "--hide-scrollbars", "--force-device-scale-factor=1")
DATE = "2026-03-01"
HOSTILE = '"><script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'


def _unavailable(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}: CI must run the browser tests (.ci/run installs Debian's chromium and "
                    "chromium-driver, and scripts/setup.sh the test extra with selenium)")
    pytest.skip(f"{what}: install Debian's chromium and chromium-driver to run the browser tests")


@pytest.fixture(scope="module")
def driver():
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        _unavailable("chromium or chromedriver not found on PATH")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="audit-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the driver's path is given, so Selenium Manager never looks for (or downloads) one
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Page:
    errors: list[str]
    saves: int
    save_marks: int
    sessions: int
    session_classes: list[str]
    declared: dict[str, str]
    png: bytes
    timeline_png: bytes


def _open(driver, html: Path, name: str) -> Page:
    from selenium.webdriver.common.by import By

    driver.get(html.as_uri())
    svg = driver.find_element(By.CSS_SELECTOR, "svg.timeline")
    marks = svg.find_elements(By.CSS_SELECTOR, ".save")
    sessions = svg.find_elements(By.CSS_SELECTOR, "g.session")
    page = Page(
        errors=[e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")],
        saves=sum(int(m.get_attribute("data-count")) for m in marks),
        save_marks=len(marks),
        sessions=len(sessions),
        session_classes=[s.get_attribute("class") for s in sessions],
        declared={k: svg.get_attribute(f"data-{k}") for k in ("saves", "sessions", "heartbeats")},
        png=driver.get_screenshot_as_png(),
        timeline_png=svg.screenshot_as_png,
    )
    shots = os.environ.get("AUDIT_BROWSER_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        (Path(shots) / f"{name}.png").write_bytes(page.png)
    return page


def _not_blank(png: bytes, least_colours: int = 8) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) >= least_colours, f"only {len(colours)} colours: a blank screenshot"
    background = max(colours)[0] / (image.width * image.height)
    assert background < 0.97, f"{background:.1%} of the screenshot is one colour"


def _html(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / f"{name}.html"
    result = CliRunner().invoke(main, ["report", "--format", "html", "--date", DATE, "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return out


def _status_run(tmp_path: Path) -> Path:
    given = os.environ.get("AUDIT_STATUS_RUN")
    if given:
        return Path(given)
    data, run = tmp_path / "data.npz", tmp_path / "status_training"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    magvit = [sys.executable, "-m", "magvit"]
    subprocess.run([*magvit, "data", "make", "--out", str(data), "--n", "24", "--frames", "4", "--size", "16"],
                   check=True, capture_output=True, env=env, cwd=REPO, timeout=120)
    train = [*magvit, "train", "--data", str(data), "--run-dir", str(run), "--config",
             str(REPO / "magvit" / "configs" / "tiny.yaml"), "--epochs", "1000", "--checkpoint-every", "1s"]
    for limit in ("8s", "5s"):  # two sessions cut by a time limit, the second resuming by itself
        subprocess.run([*train, "--time-limit", limit], check=True, capture_output=True, env=env, cwd=REPO,
                       timeout=300)
    return run


def test_our_status_run_report_renders_with_every_save_and_session(driver, tmp_path: Path) -> None:
    run = _status_run(tmp_path)
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]
    page = _open(driver, _html(tmp_path, "status", "--run", str(run), "--project", str(REPO)), "status-run")
    assert page.errors == []
    assert page.saves == sum(e["event"] == "checkpoint_saved" for e in events) >= 3
    assert page.sessions == sum(e["event"] == "run_start" for e in events) == 2
    assert page.declared["saves"] == str(page.saves) and page.declared["sessions"] == "2"
    _not_blank(page.png)
    _not_blank(page.timeline_png)


def test_a_foreign_run_killed_and_restarted_shows_both_sessions(driver, tmp_path: Path) -> None:
    page = _open(driver, _html(tmp_path, "foreign", "--project", str(FOREIGN)), "foreign-restart")
    assert page.errors == []
    checkpoints = list((FOREIGN / "results" / "run" / "ckpt").glob("*.pt"))
    assert page.saves == page.save_marks == len(checkpoints) == 10
    assert page.session_classes == ["session killed", "session finished"]
    _not_blank(page.png)
    _not_blank(page.timeline_png)


def test_hostile_names_render_as_text_and_nothing_runs(driver, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    root = tmp_path / "hostile"
    (root / "run").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f"[project]\nname = '''{HOSTILE}'''\n")
    (root / "train.py").write_text("def train():\n    pass\n")
    (root / "run" / "train.log").write_text(
        f"2026-01-01 10:00:00 Starting training {HOSTILE}\n2026-01-01 10:01:00 epoch 1 loss=0.5 {HOSTILE}\n"
        f"2026-01-01 10:05:00 Starting training\n2026-01-01 10:05:01 resuming from {HOSTILE}.pt\n")
    (root / "run" / f"epoch_1{HOSTILE.replace('/', '_')}.pt").write_bytes(b"junk")
    page = _open(driver, _html(tmp_path, "hostile", "--project", str(root), "--run", str(root / "run")), "hostile")
    assert page.errors == []
    assert driver.title.startswith("Compliance status: ") and driver.title != "pwned"  # shown, never run
    assert driver.execute_script("return document.querySelectorAll('script, img, iframe, object').length") == 0
    handlers = driver.execute_script(
        "return [...document.querySelectorAll('*')].filter(e => [...e.attributes]"
        ".some(a => a.name.toLowerCase().startsWith('on'))).length")
    assert handlers == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    text = driver.find_element(By.TAG_NAME, "body").text
    assert '<script>document.title="pwned"</script>' in text
    _not_blank(page.png)

"""The desk in a real browser: headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
driven by Selenium) against the app served by uvicorn on 127.0.0.1.

Paste the example article, press Analyse, see the claims highlighted and the summary; change a
claim's evidence level and save; reload and see the change; filter the claims table; upload a
file; and an article full of ``<script>`` / ``onerror=`` payloads runs nothing.

``KRATOM_NLP_SCREENSHOT=docs/serve.png`` also saves a screenshot of the reviewed report (how
the picture in ``docs/serve.md`` is made).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                                "(apt-get install -y chromium chromium-driver)"),
    pytest.mark.skipif(DRIVER is None, reason="chromedriver is not installed "
                                              "(apt-get install -y chromium-driver)"),
]

selenium = pytest.importorskip("selenium", reason="selenium is not installed (dev extra)")
pytest.importorskip("fastapi", reason="the serve extra is not installed")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

EXAMPLE = ROOT / "corpora" / "examples" / "kratom_mood_guide.txt"
EXAMPLE_HTML = ROOT / "corpora" / "examples" / "kratom_mood_guide.html"
MARK = "document.documentElement.setAttribute('data-pwned', '1')"
HOSTILE = (
    f"Kratom Miracle <script>{MARK};alert('script')</script>\n"
    f"Kratom cures depression <img src=x onerror=\"{MARK};alert('img')\"> "
    "in every user. Users say it melts away pain <svg onload=alert('svg')>.\n"
    "Research shows kratom is safe <iframe src=\"javascript:alert('frame')\"></iframe>.\n"
    "<a href=\"javascript:alert('link')\">click</a> \"><script>alert('attr')</script>\n"
)


@pytest.fixture(scope="module")
def desk(tmp_path_factory, nlp):
    from kratom_nlp.serve.app import ServeSettings, create_app
    from kratom_nlp.serve.server import background_server

    db = tmp_path_factory.mktemp("desk") / "desk.sqlite3"
    app = create_app(ServeSettings(db=db, reviewer="browser"), nlp=nlp)
    with background_server(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--no-first-run",
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, timeout: float = 30) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def no_dialog(driver) -> None:
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    raise AssertionError(f"a script ran: a dialog said {text!r}")


def severe_console(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
            and "favicon" not in e["message"]]


def paste_and_analyse(driver, base: str, text: str, source: str = "") -> None:
    driver.get(base + "/")
    area = driver.find_element(By.ID, "text")
    area.clear()
    # the text arrives as a person's paste would: set in one go, then an input event
    driver.execute_script("arguments[0].value = arguments[1];"
                          "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                          area, text)
    if source:
        driver.find_element(By.ID, "source").send_keys(source)
    driver.find_element(By.ID, "analyse").click()
    wait(driver).until(ec.url_contains("/articles/"))
    wait(driver).until(ec.presence_of_element_located((By.ID, "claims-table")))


def test_analyse_review_reload(browser, desk, nlp):
    from kratom_nlp.api import analyze

    text = EXAMPLE.read_text(encoding="utf-8")
    expected = analyze(text, nlp=nlp)
    browser.get_log("browser")  # start with an empty console
    paste_and_analyse(browser, desk, text)

    marks = browser.find_elements(By.CSS_SELECTOR, "#article-text mark.claim")
    assert len(marks) == len(expected["claims"]) > 5
    assert [m.get_attribute("data-claim") for m in marks] == [c["id"] for c in
                                                              expected["claims"]]
    first = next(m for m in marks if "lvl-none" not in m.get_attribute("class"))
    assert first.is_displayed()
    assert first.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)",
                                                                   "transparent")
    over = browser.find_elements(By.CSS_SELECTOR, "#article-text mark.claim.overclaim")
    assert len(over) == expected["summary"]["overclaims"]
    assert browser.find_elements(By.CSS_SELECTOR, "#article-text .cue")
    summary = browser.find_element(By.ID, "summary").text
    assert f"CLAIMS\n{expected['summary']['claims']}" in summary.upper()
    assert expected["summary"]["verdict"] in browser.find_element(By.ID, "verdict").text
    assert severe_console(browser) == []  # our own page breaks no CSP rule
    no_dialog(browser)

    # hovering a claim shows its tooltip
    webdriver.ActionChains(browser).move_to_element(first).perform()
    assert first.find_element(By.CSS_SELECTOR, ".tip").is_displayed()

    # change one claim's evidence level and save
    claim = next(c for c in expected["claims"] if c["evidence"]["level"] == "preclinical")
    cid = claim["id"]
    browser.find_element(By.CSS_SELECTOR, f"#review-{cid} > summary").click()
    Select(browser.find_element(By.ID, f"evidence-{cid}")).select_by_value("observational")
    browser.find_element(By.ID, f"note-{cid}").send_keys("The rat study is not observational "
                                                         "either; checking.")
    browser.find_element(By.ID, f"save-{cid}").click()
    wait(browser).until(ec.url_contains(f"saved={cid}"))

    def check_saved() -> None:
        select = Select(browser.find_element(By.ID, f"evidence-{cid}"))
        assert select.first_selected_option.get_attribute("value") == "observational"
        row = browser.find_element(By.ID, f"claim-{cid}")
        assert row.get_attribute("data-evidence") == "observational"
        assert "Observational" in row.find_element(By.CSS_SELECTOR,
                                                   '[data-field="evidence"]').text
        assert "was Preclinical" in row.text
        mark = browser.find_element(By.ID, f"m-{cid}")
        assert "lvl-observational" in mark.get_attribute("class").split()
        assert "1 of" in browser.find_element(By.ID, "progress-count").text

    check_saved()
    browser.refresh()
    wait(browser).until(ec.presence_of_element_located((By.ID, "claims-table")))
    check_saved()
    article_url = browser.current_url.split("?")[0]
    browser.get(article_url)  # a fresh load of the page, not the redirect
    check_saved()

    # the table filter (script): only overclaims, then everything again
    Select(browser.find_element(By.ID, "filter-overclaim")).select_by_value("yes")
    rows = browser.find_elements(By.CSS_SELECTOR, "#claims-table tbody.claim")
    shown = [r for r in rows if r.is_displayed()]
    assert len(shown) == expected["summary"]["overclaims"]
    assert all(r.get_attribute("data-overclaim") == "yes" for r in shown)
    assert "overclaim=yes" in browser.current_url
    Select(browser.find_element(By.ID, "filter-overclaim")).select_by_value("")
    assert all(r.is_displayed() for r in rows)

    # the list of reviewed articles shows it with its score
    browser.get(desk + "/articles")
    listing = browser.find_element(By.ID, "articles").text
    assert "1/" in listing and expected["text"].splitlines()[0][:30] in listing

    shot = os.environ.get("KRATOM_NLP_SCREENSHOT")
    if shot:  # the report with the corrected claim's review open
        browser.set_window_size(1280, 3000)
        browser.get(article_url)
        browser.find_element(By.CSS_SELECTOR, f"#review-{cid} > summary").click()
        browser.execute_script("window.scrollTo(0, 0)")
        Path(shot).parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(shot)
        browser.set_window_size(1280, 1000)
    no_dialog(browser)


def test_upload_a_file(browser, desk):
    browser.get(desk + "/")
    browser.find_element(By.ID, "file").send_keys(str(EXAMPLE_HTML))
    browser.find_element(By.ID, "analyse").click()
    wait(browser).until(ec.url_contains("/articles/"))
    assert browser.find_elements(By.CSS_SELECTOR, "#article-text mark.claim")
    assert "kratom_mood_guide.html" in browser.find_element(By.CSS_SELECTOR, ".source").text


def test_hostile_article_runs_nothing(browser, desk):
    paste_and_analyse(browser, desk, HOSTILE, source="<img src=x onerror=alert('source')>")
    no_dialog(browser)
    assert not pwned(browser)
    article = browser.find_element(By.ID, "article-text")
    for tag in ("script", "img", "svg", "iframe", "a[href^='javascript']"):
        assert article.find_elements(By.CSS_SELECTOR, tag) == [], tag
    scripts = browser.execute_script(
        "return Array.from(document.scripts).map(s => s.getAttribute('src'))")
    assert len(scripts) == 1 and scripts[0].startswith("/static/app.js")
    handlers = browser.execute_script(
        "return Array.from(document.querySelectorAll('*')).flatMap(e => "
        "Array.from(e.attributes).filter(a => a.name.startsWith('on')).map(a => a.name))")
    assert handlers == []
    shown = article.text
    assert f"<script>{MARK};alert('script')</script>" in shown
    assert "<img src=x onerror=" in shown
    assert "<img src=x onerror=alert('source')>" in browser.find_element(
        By.CSS_SELECTOR, ".article-head").text
    # hover every claim (tooltips), then save a review whose note is another payload
    marks = browser.find_elements(By.CSS_SELECTOR, "#article-text mark.claim")
    assert len(marks) >= 2
    for mark in marks:
        webdriver.ActionChains(browser).move_to_element(mark).perform()
    cid = marks[0].get_attribute("data-claim")
    browser.find_element(By.CSS_SELECTOR, f"#review-{cid} > summary").click()
    browser.find_element(By.ID, f"note-{cid}").send_keys(
        f"<img src=x onerror=\"{MARK};alert('note')\"><script>alert('note')</script>")
    browser.find_element(By.ID, f"save-{cid}").click()
    wait(browser).until(ec.url_contains(f"saved={cid}"))
    no_dialog(browser)
    assert "<script>alert('note')</script>" in browser.find_element(By.ID, f"claim-{cid}").text
    browser.refresh()
    no_dialog(browser)
    assert not pwned(browser)
    assert severe_console(browser) == []


def pwned(driver) -> bool:
    return driver.execute_script(
        "return document.documentElement.hasAttribute('data-pwned')")  # type: ignore[no-any-return]

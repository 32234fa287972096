"""The console in a real browser: headless Debian chromium driven by Selenium.

Starts `nianjian demo --serve` on a loopback port against a private embedded PostgreSQL (or the server
DATABASE_URL names), logs in with the printed demo login, checks the overview's counts, opens an
inspection that needs an operator, requeues it with a note and sees the event appear in its history.
Screenshots go to $NIANJIAN_SCREENSHOTS (default /tmp/nianjian-screenshots).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("NIANJIAN_BINARY", os.path.join(ROOT, ".build", "debug", "nianjian"))
SHOTS = os.environ.get("NIANJIAN_SCREENSHOTS", "/tmp/nianjian-screenshots")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def console():
    home = tempfile.mkdtemp(prefix="nj-browser-")
    env = dict(os.environ, NIANJIAN_HOME=home, LANG="en_US.UTF-8")
    port = free_port()
    process = subprocess.Popen(
        [BINARY, "demo", "--companies", "30", "--nights", "3", "--quiet", "--lang", "en", "--serve", "--port", str(port)],
        cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    login = None
    output = []
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            line = process.stdout.readline()
            if not line:
                if process.poll() is not None:
                    break
                continue
            output.append(line)
            match = re.search(r"demo login \(operator\): (\S+) password (\S+)", line)
            if match:
                login = (match.group(1), match.group(2))
                break
        assert login, "the demo did not print a login:\n" + "".join(output[-40:])
        yield {"url": f"http://127.0.0.1:{port}", "email": login[0], "password": login[1]}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        if "DATABASE_URL" not in os.environ:
            subprocess.run([BINARY, "db", "stop"], cwd=home, env=env, capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_login_overview_requeue_and_event(console, browser):
    os.makedirs(SHOTS, exist_ok=True)
    wait = WebDriverWait(browser, 30)
    browser.get(console["url"] + "/login")
    browser.find_element(By.ID, "email").send_keys(console["email"])
    browser.find_element(By.ID, "password").send_keys(console["password"])
    browser.find_element(By.ID, "login").click()

    # The overview: the total and the counts by state agree.
    total = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#count-total .value")))
    counts = {}
    for state in ("pending", "submitting", "in_review", "approved", "needs_materials", "rejected", "failed", "cancelled"):
        counts[state] = int(browser.find_element(By.CSS_SELECTOR, f"#count-{state} .value").text)
    assert int(total.text) > 0
    assert int(total.text) == sum(counts.values())
    browser.find_element(By.ID, "progress-chart")
    browser.save_screenshot(os.path.join(SHOTS, "overview.png"))

    # An inspection that needs an operator.
    slug = browser.current_url.rstrip("/").split("/t/")[1].split("/")[0]
    state = next(s for s in ("needs_materials", "rejected", "failed") if counts[s] > 0)
    browser.get(f"{console['url']}/t/{slug}/inspections?state={state}")
    link = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#inspections tbody tr td.num a")))
    inspection_id = link.text
    link.click()
    wait.until(EC.presence_of_element_located((By.ID, "events")))
    before = len(browser.find_elements(By.CSS_SELECTOR, "#events tr.event"))
    browser.save_screenshot(os.path.join(SHOTS, "detail.png"))

    browser.find_element(By.ID, "note").send_keys("材料已补交 — browser test")
    browser.find_element(By.ID, "requeue").click()
    wait.until(EC.url_contains("done=requeued"))
    events = browser.find_elements(By.CSS_SELECTOR, "#events tr.event")
    assert len(events) == before + 1
    last = events[-1].text
    assert "web:" + console["email"] in last
    assert "requeued" in last
    assert "材料已补交" in last
    assert f"#{inspection_id}" in browser.find_element(By.TAG_NAME, "h1").text
    browser.save_screenshot(os.path.join(SHOTS, "detail-after-requeue.png"))

"""The demo in headless Chromium: pages styled, forms answered, Basic auth
from the URL, the chat between two windows. Run by tests/browser/run.sh:

    test_demo.py BASE_URL SCREENSHOT_DIR
"""

import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

BASE, SHOTS = sys.argv[1], sys.argv[2]
failures = []


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1100,1400",
        f"--user-data-dir={tempfile.mkdtemp(prefix='lath-chromium-')}",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(name, condition, detail=""):
    print(f"{'ok  ' if condition else 'FAIL'} {name}{': ' + detail if detail and not condition else ''}")
    if not condition:
        failures.append(name)


def text_of(driver, element_id, timeout=10):
    element = WebDriverWait(driver, timeout).until(
        ready.presence_of_element_located((By.ID, element_id))
    )
    return element.text


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def fill(driver, element_id, value):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(value)


def index(driver):
    driver.get(BASE + "/")
    WebDriverWait(driver, 10).until(ready.presence_of_element_located((By.ID, "users-form")))
    shot(driver, "index")
    styled = driver.execute_script(
        "const s = getComputedStyle(document.body);"
        "return [s.maxWidth, s.fontFamily, document.styleSheets.length];"
    )
    check("/ applies the stylesheet", styled[0] == "768px" and "system-ui" in styled[1], str(styled))
    check("/ has lang and a viewport", driver.execute_script(
        "return document.documentElement.lang === 'en'"
        " && !!document.querySelector('meta[name=viewport]')"
    ))
    unlabelled = driver.execute_script(
        "return [...document.querySelectorAll('input')]"
        ".filter(i => i.type !== 'hidden' && !(i.labels && i.labels.length)).map(i => i.id || i.name)"
    )
    check("every input on / has a label", not unlabelled, str(unlabelled))
    errors = console_errors(driver)
    check("/ logs no console errors", not errors, str(errors))
    # The range button fetches 100 bytes of the large file.
    driver.find_element(By.ID, "range-button").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "range-result").text)
    result = driver.find_element(By.ID, "range-result").text
    check("the range button gets 206 and 100 bytes", result.startswith("206") and "100 bytes" in result, result)


def users(driver):
    driver.get(BASE + "/")
    fill(driver, "users-name", "Ann <b>Lee</b>")
    fill(driver, "users-age", "41")
    fill(driver, "users-pets", "cat")
    driver.find_element(By.ID, "users-submit").click()
    result = text_of(driver, "users-result")
    shot(driver, "users-valid")
    check("#users-form (valid) shows the normalized user", "Ann <b>Lee</b>" in result and "41" in result, result)
    driver.get(BASE + "/")
    fill(driver, "users-name", "")
    fill(driver, "users-age", "old")
    driver.find_element(By.ID, "users-submit").click()
    result = text_of(driver, "users-result")
    shot(driver, "users-invalid")
    name_error = text_of(driver, "users-name-error")
    age_error = text_of(driver, "users-age-error")
    check("#users-form (invalid) says what is wrong", "Not accepted" in result, result)
    check("each error shows by its field", "name" in name_error and "not a number" in age_error,
          f"{name_error!r} {age_error!r}")
    check("the invalid form keeps what was typed",
          driver.find_element(By.ID, "users-age").get_attribute("value") == "old")


def files(driver):
    upload = os.path.join(tempfile.mkdtemp(prefix="lath-upload-"), "notes.txt")
    with open(upload, "w") as f:
        f.write("twelve bytes")
    driver.get(BASE + "/")
    driver.find_element(By.ID, "files-doc").send_keys(upload)
    driver.find_element(By.ID, "files-submit").click()
    result = text_of(driver, "files-result")
    shot(driver, "files")
    check("#files-form lists the file", "notes.txt" in result and "12 bytes" in result, result)
    driver.get(BASE + "/")
    driver.find_element(By.ID, "files-submit").click()
    result = text_of(driver, "files-result")
    check("#files-form with no file lists none", result == "No file was chosen.", result)


def csrf(driver):
    driver.get(BASE + "/csrf")
    shot(driver, "csrf")
    fill(driver, "csrf-note", "hello")
    driver.find_element(By.ID, "csrf-submit").click()
    result = text_of(driver, "csrf-result")
    shot(driver, "csrf-result")
    check("#csrf-form passes with its token", "CSRF token ok" in result and "hello" in result, result)


def echo(driver):
    driver.get(BASE + "/")
    fill(driver, "echo-say", "hi there")
    driver.find_element(By.ID, "echo-submit").click()
    result = text_of(driver, "echo-result")
    shot(driver, "echo")
    check("#echo-form shows the body", "say=hi there" in result, result)


def admin(driver):
    driver.get(BASE + "/")
    link = driver.find_element(By.CSS_SELECTOR, "#admin-credentials a").get_attribute("href")
    check("#admin-credentials holds a link with credentials", "@" in link and link.endswith("/admin/dashboard"), link)
    driver.get(link)
    greeting = text_of(driver, "admin-greeting")
    shot(driver, "admin")
    check("Basic credentials in the URL log in", greeting.startswith("Hello admin"), greeting)


def cookies(driver):
    driver.get(BASE + "/visits")
    driver.get(BASE + "/cookies")
    listed = text_of(driver, "cookies-list")
    shot(driver, "cookies")
    check("/cookies lists the visits cookie", "visits" in listed, listed)


def chat(driver):
    driver.get(BASE + "/chat")
    first = driver.current_window_handle
    driver.switch_to.new_window("window")
    driver.get(BASE + "/chat")
    second = driver.current_window_handle
    time.sleep(0.5)  # both sockets open
    driver.switch_to.window(first)
    fill(driver, "chat-input", "hello from one")
    driver.find_element(By.ID, "chat-send").click()
    driver.switch_to.window(second)
    try:
        WebDriverWait(driver, 10).until(
            lambda d: "hello from one" in d.find_element(By.ID, "chat-log").text
        )
        arrived = True
    except Exception:
        arrived = False
    shot(driver, "chat")
    check("a chat message typed in one window arrives in the other", arrived,
          driver.find_element(By.ID, "chat-log").text)
    driver.close()
    driver.switch_to.window(first)


def error_page(driver):
    driver.get(BASE + "/no/such/page")
    heading = text_of(driver, "error-status")
    shot(driver, "not-found")
    check("a missing page is the site's 404 page", heading == "404 Not Found", heading)


def main():
    driver = browser()
    try:
        for scenario in [index, users, files, csrf, echo, admin, cookies, chat, error_page]:
            try:
                scenario(driver)
            except Exception as error:  # one scenario's failure hides no other
                check(scenario.__name__, False, f"{type(error).__name__}: {error}")
    finally:
        driver.quit()
    print(f"browser test: {len(failures)} failed" if failures else "browser test: all passed")
    sys.exit(1 if failures else 0)


main()

"""The web console in a real browser (headless Chromium through Selenium), against a running
`remit up`. Prints one "ok"/"FAIL" line per check; tools/e2e/console.sh counts them.
Usage: console.py ROUTER_URL ADMIN_PASSWORD [SCREENSHOT_DIR]"""
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

router, admin_password = sys.argv[1], sys.argv[2]
screenshots = sys.argv[3] if len(sys.argv) > 3 else None
results = []


def check(name, condition):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name, flush=True)


def api(method, path, body=None, token=None):
    request = urllib.request.Request(router + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


options = Options()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1200", "--lang=en"]:
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
# The pages redraw as answers arrive: an element read mid-redraw is read again.
wait = WebDriverWait(driver, 15, ignored_exceptions=[StaleElementReferenceException])


def visible(selector):
    return wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)))


def waits(condition, seconds=15):
    try:
        WebDriverWait(driver, seconds, ignored_exceptions=[StaleElementReferenceException]).until(condition)
        return True
    except TimeoutException:
        return False


def text_of(selector):
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", selector)


def press(element_id):
    element = visible(f"#{element_id}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    try:
        element.click()
    except ElementClickInterceptedException:
        # Below the headless window's fold: the same click, dispatched by the page.
        driver.execute_script("arguments[0].click()", element)


def shot(name):
    if screenshots:
        time.sleep(0.3)
        driver.save_screenshot(f"{screenshots}/{name}.png")


def sign_in(user, password):
    driver.get(router + "/console/#/signin")
    visible("#username").clear()
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    press("signin-submit")


unlabelled = []


def audit_labels(page):
    """Every visible control of the page has an accessible name: a label, aria-label(ledby),
    a title or (for buttons and links) its text. Offenders are kept for one check at the end."""
    found = driver.execute_script("""
        return [...document.querySelectorAll('input, select, textarea, button, a[href]')]
          .filter(e => e.type !== 'hidden' && e.getClientRects().length > 0)
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')
                       && !e.title && !(['BUTTON', 'A'].includes(e.tagName) && e.textContent.trim()))
          .map(e => e.outerHTML.slice(0, 100));""")
    unlabelled.extend(f"{page}: {html}" for html in found)


def tab_to(selector, presses_max=60):
    """Moves the focus with the Tab key alone until the element matching `selector` has it."""
    for _ in range(presses_max):
        if driver.execute_script("return document.activeElement.matches(arguments[0])", selector):
            return True
        driver.switch_to.active_element.send_keys(Keys.TAB)
    return False


def fill(values):
    for name, value in values.items():
        field = visible(f"#field-{name}")
        field.clear()
        field.send_keys(value)


try:
    # Users with one role each, made through the API.
    _, tokens = api("POST", "/api/v1/auth/token", {"username": "admin", "password": admin_password})
    for user, role in [("clara", "clerk"), ("audrey", "auditor")]:
        api("POST", "/api/v1/users", {"name": user, "roles": [role], "password": f"{user}-password-1"}, tokens["accessToken"])

    driver.get(router + "/")
    check("GET / leads to the console's home page, with the two regions' picture",
          waits(EC.visibility_of_element_located((By.CSS_SELECTOR, "img.regions-picture")))
          and driver.execute_script("return document.querySelector('img.regions-picture').naturalWidth") > 0)
    shot("home")
    press("home-sign-in")
    check("which leads to the sign-in page", waits(EC.visibility_of_element_located((By.ID, "username"))) and "#/signin" in driver.current_url)
    shot("signin")
    audit_labels("sign-in")
    sign_in("clara", "not-the-password")
    check("a wrong password is refused with a message", waits(EC.visibility_of_element_located((By.ID, "signin-error"))))
    sign_in("clara", "clara-password-1")
    check("the clerk signs in and lands on the remittances", waits(EC.visibility_of_element_located((By.ID, "empty-state"))))
    check("an empty ledger says so", "No remittances yet" in text_of("#empty-state"))
    check("the page says which region served it", waits(lambda d: "served by east" in text_of("#served-by")))

    # Create: a field error shown next to its field, then fixed.
    press("action-create")
    fill({"senderName": "Alice Example", "senderBank": "First Bank", "senderAccount": "DE001", "receiverName": "Bob Example",
          "receiverBank": "Second Bank", "receiverAccount": "FR002", "amount": "12.50", "currency": "eur"})
    press("form-submit")
    check("an invalid amount is explained next to the amount field",
          waits(EC.visibility_of_element_located((By.CSS_SELECTOR, "#field-amount.is-invalid + .invalid-feedback"))))
    check("and an invalid currency next to the currency field", len(driver.find_elements(By.CSS_SELECTOR, "#field-currency.is-invalid")) == 1)
    shot("create-with-errors")
    audit_labels("create")
    fill({"amount": "1250", "currency": "EUR"})
    press("form-submit")
    check("fixed, the remittance is created and its page shown", waits(EC.visibility_of_element_located((By.ID, "remittance-detail"))))
    remittance_url = driver.current_url
    check("its history has the create, with who did it", waits(lambda d: "created" in text_of("#history") and "clara" in text_of("#history")))
    shot("detail")

    audit_labels("detail")
    driver.refresh()
    check("the session survives a reload", waits(EC.visibility_of_element_located((By.ID, "remittance-detail"))))
    # An access token that expired (here: one the API refuses) is traded for a new one with the
    # refresh token, and the page loads as if nothing happened.
    driver.execute_script("""
        const key = Object.keys(sessionStorage)[0], session = JSON.parse(sessionStorage.getItem(key));
        session.accessToken = 'expired.' + session.accessToken.split('.')[1] + '.x';
        sessionStorage.setItem(key, JSON.stringify(session));""")
    driver.refresh()
    check("an expired access token is refreshed without signing in again",
          waits(EC.visibility_of_element_located((By.ID, "remittance-detail")))
          and waits(lambda d: "created" in text_of("#history"))
          and driver.execute_script("return !JSON.parse(Object.values(sessionStorage)[0]).accessToken.startsWith('expired.')"))

    # Update, then cancel with a reason.
    press("action-update")
    fill({"amount": "1300"})
    shot("update")
    press("form-submit")
    check("an update shows in the history", waits(lambda d: "amount → 1300" in text_of("#history")))

    clerk_token = api("POST", "/api/v1/auth/token", {"username": "clara", "password": "clara-password-1"})[1]["accessToken"]
    for index in range(11):
        api("POST", "/api/v1/remittances", {"senderName": f"Sender {index}", "senderBank": "Bank A", "senderAccount": "A1",
            "receiverName": "Receiver", "receiverBank": "Bank B", "receiverAccount": "B1", "amount": 100 + index, "currency": "USD"},
            clerk_token)
    # The table reads the projection, which follows the log a moment later.
    for _ in range(100):
        if len(api("GET", "/api/v1/remittances?limit=50", token=clerk_token)[1]["items"]) == 12:
            break
        time.sleep(0.1)
    driver.get(router + "/console/#/remittances")
    check("the table pages 10 at a time", waits(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#remittances-table tbody tr")) == 10))
    shot("remittances")
    press("page-next")
    check("the next page holds the rest", waits(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#remittances-table tbody tr")) == 2))
    Select(driver.find_element(By.ID, "page-size")).select_by_value("30")
    check("page size 30 shows all twelve", waits(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#remittances-table tbody tr")) == 12))
    press("wrap-lines")
    driver.refresh()
    check("preferences are kept across a reload",
          waits(EC.visibility_of_element_located((By.ID, "page-size")))
          and Select(driver.find_element(By.ID, "page-size")).first_selected_option.text == "30"
          and driver.find_element(By.ID, "wrap-lines").is_selected())
    def rows():
        return driver.find_elements(By.CSS_SELECTOR, "#remittances-table tbody tr[data-id]")

    def first_amount():
        return driver.execute_script(
            "const row = document.querySelector('#remittances-table tbody tr[data-id]'); return row ? row.children[4].textContent : ''")

    Select(visible("#filter-field")).select_by_value("senderName")
    Select(driver.find_element(By.ID, "filter-operator")).select_by_value(":")
    visible("#filter-value").send_keys("sender 1")
    press("filter-add")
    check("a property filter (sender contains 'sender 1') finds two and counts them",
          waits(lambda d: len(rows()) == 2 and "2 matches" in text_of("#match-counter")))
    shot("remittances-filtered")
    press("sort-amount")
    check("a click on a column's header sorts on it", waits(lambda d: first_amount() == "1.01 USD"))
    press("sort-amount")
    check("a second click reverses the order", waits(lambda d: first_amount() == "1.10 USD"))
    Select(visible("#filter-field")).select_by_value("amount")
    Select(driver.find_element(By.ID, "filter-operator")).select_by_value("=")
    visible("#filter-value").send_keys("110")
    Select(driver.find_element(By.ID, "filter-join")).select_by_value("and")
    press("filter-add")
    check("two conditions joined by and narrow it to one", waits(lambda d: len(rows()) == 1 and "1 match;" in text_of("#match-counter")))
    press("filter-clear")
    check("clearing the filter shows every row again", waits(lambda d: "12 matches" in text_of("#match-counter")))
    search = visible("#filter-q")
    search.send_keys("Alice")
    search.submit()
    check("a filter finds the remittance", waits(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#remittances-table tbody tr[data-id]")) == 1))
    row = driver.find_element(By.CSS_SELECTOR, "#remittances-table tbody tr[data-id]")
    row.click()
    check("selecting a row enables View, Update and Cancel",
          all(driver.find_element(By.ID, b).is_enabled() for b in ["action-view", "action-update", "action-cancel"]))
    press("action-cancel")
    visible("#field-reason").send_keys("customer asked to stop it")
    shot("cancel")
    press("form-submit")
    check("cancelled with its reason, shown in the history", waits(lambda d: "cancelled: customer asked to stop it" in text_of("#history")))
    driver.get(router + "/console/#/dashboard")
    check("the dashboard draws its charts from the API", waits(EC.visibility_of_element_located((By.ID, "chart-status")))
          and driver.execute_script("return document.getElementById('chart-status').width") > 0)
    check("and the amounts by currency (the cancelled EUR one not counted)",
          waits(lambda d: "11.55 USD" in text_of("#dashboard-currencies")) and "EUR" not in text_of("#dashboard-currencies"))
    check("and the router's last 30 minutes: requests, latency, events per second",
          waits(lambda d: "one every 5" in text_of("#history-note"), 30)
          and driver.execute_script("return ['chart-live-requests', 'chart-live-latency', 'chart-live-events']"
                                    ".every((id) => document.getElementById(id).width > 0)"))
    shot("dashboard")
    audit_labels("dashboard")
    check("a clerk is not offered the Regions page", not driver.find_element(By.CSS_SELECTOR, '[data-nav="regions"]').is_displayed())
    driver.get(router + "/console/#/remittances")
    search = visible("#filter-q")
    search.send_keys("nobody-has-this-name")
    search.submit()
    check("a filter matching nothing says so", waits(lambda d: "No remittance matches" in text_of("#empty-state")))
    audit_labels("remittances")

    press("sign-out")
    check("signing out returns to the sign-in page", waits(EC.visibility_of_element_located((By.ID, "username"))))
    sign_in("audrey", "audrey-password-1")
    check("an auditor sees the remittances", waits(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#remittances-table tbody tr")) > 0))
    check("but no Create button", len(driver.find_elements(By.ID, "action-create")) == 0)
    driver.get(remittance_url)
    check("and no Update on a remittance", waits(EC.visibility_of_element_located((By.ID, "remittance-detail")))
          and len(driver.find_elements(By.ID, "action-update")) == 0)
    # An operator fails over from the Regions page, watches the steps, reads the remittance from
    # the other region, and fails back.
    press("sign-out")
    # With the keyboard alone: sign in, sort, select a row, open it.
    driver.get(router + "/console/#/signin")
    visible("#username")
    driver.find_element(By.TAG_NAME, "body").click()
    typed = tab_to("#username")
    driver.switch_to.active_element.send_keys("admin", Keys.TAB, admin_password, Keys.ENTER)
    check("signing in with the keyboard alone", typed and waits(lambda d: d.find_elements(By.CSS_SELECTOR, "#remittances-table tbody tr[data-id]")))
    sorted_by_key = tab_to("#sort-amount")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    check("a column sorted with the keyboard", sorted_by_key and waits(lambda d: "▲" in text_of("#sort-amount")))
    selected = tab_to("#remittances-table tbody tr[data-id]")
    driver.switch_to.active_element.send_keys(Keys.SPACE)
    check("a row selected with the space bar enables View",
          selected and waits(lambda d: d.find_element(By.CSS_SELECTOR, "tr[aria-selected='true']") and d.find_element(By.ID, "action-view").is_enabled()))
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    check("and Enter opens it", waits(EC.visibility_of_element_located((By.ID, "remittance-detail"))))
    driver.get(router + "/console/#/regions")
    check("the Regions page has a reconcile list (empty: no forced failover yet)",
          waits(EC.visibility_of_element_located((By.ID, "quarantine-empty"))))
    check("the Regions page shows east as the writer", waits(lambda d: d.find_element(By.CSS_SELECTOR, '[data-role="east"]').text == "writer"))
    check("the Regions page shows the router's alarms: none", waits(lambda d: text_of("#no-alarms") == "No alarm."))
    check("and that automatic failover is off (the stack runs without it)",
          waits(lambda d: d.find_element(By.ID, "auto-failover").get_attribute("data-state") == "off"))
    check("the Regions page charts each region's lag, the lease and readiness over the last 30 minutes",
          waits(lambda d: "one every 5" in text_of("#history-note"))
          and driver.execute_script("return ['chart-live-lag', 'chart-live-lease', 'chart-live-ready']"
                                    ".every((id) => document.getElementById(id).width > 0)"))
    shot("regions")
    audit_labels("regions")
    press("failover-west")
    check("the confirmation names source and target", "east → west" in visible("#confirm-failover").text)
    press("confirm-failover")
    check("the failover's steps show as they end", waits(lambda d: d.find_elements(By.CSS_SELECTOR, "#running-execution li")))
    # A failover takes well under a second here; a loaded machine is given longer.
    done = waits(EC.visibility_of_element_located((By.ID, "failover-done")), 60) and "route" in text_of("#running-execution")
    check("and it ends with west the writer", done)
    if not done:
        print("     the page said: " + text_of("#running-execution").replace("\n", " | ")[:600])
    shot("regions-after-failover")
    check("the table follows", waits(lambda d: d.find_element(By.CSS_SELECTOR, '[data-role="west"]').text == "writer"))
    # The router follows within its health-check interval.
    for _ in range(100):
        with urllib.request.urlopen(router + "/readyz", timeout=5) as response:
            if json.loads(response.read()).get("active") == "west":
                break
        time.sleep(0.1)
    driver.get(remittance_url)
    check("the same remittance, read after the failover, says west served it",
          waits(EC.visibility_of_element_located((By.ID, "remittance-detail"))) and waits(lambda d: "served by west" in text_of("#served-by")))
    driver.get(router + "/console/#/regions")
    press("failover-east")
    press("confirm-failover")
    check("failback to east from the page", waits(EC.visibility_of_element_located((By.ID, "failover-done")), 60)
          and waits(lambda d: d.find_element(By.CSS_SELECTOR, '[data-role="east"]').text == "writer"))
    press("force-west")
    press("confirm-failover")
    check("a forced failover asks a second time, stating the loss window", "Loss window" in visible("#loss-window").text
          and not driver.find_element(By.ID, "confirm-forced").is_enabled())
    shot("regions-forced-confirmation")
    audit_labels("forced-failover confirmation")
    check("every control on every page has a label (or a name of its own)", not unlabelled)
    for entry in unlabelled:
        print("     " + entry)

    # Refused requests (the wrong password, the invalid create) are logged by the browser as
    # failed loads: expected. Anything else is a script error or a CSP violation.
    logs = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
            and "Failed to load resource" not in entry["message"]]
    check("no script error or CSP violation in the browser's log", not logs)
    for entry in logs:
        print("     " + entry["message"])
finally:
    driver.quit()
print(f"{sum(results)} passed, {len(results) - sum(results)} failed")

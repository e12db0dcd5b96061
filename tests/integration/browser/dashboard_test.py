#!/usr/bin/python3
"""Drives the gateway's diagnostics page in Debian's Chromium through Debian's selenium and
chromedriver (packages chromium, chromium-driver, python3-selenium; nothing is downloaded).

Run by run.sh, or by hand against any gateway:
    EDGEGW_URL=http://127.0.0.1:8080 EDGEGW_TOKEN=... EDGEGW_SCREENSHOT=out/dash.png \\
      /usr/bin/python3 tests/integration/browser/dashboard_test.py
The gateway must run the chocolate simulator with a short theft_interval_s, so that an alarm is
there to acknowledge. Use /usr/bin/python3: Debian's selenium is installed for that one.
"""
import base64
import json
import os
import shutil
import sys
import tempfile
import unittest
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, StaleElementReferenceException,
                                        TimeoutException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

BASE_URL = (os.environ.get('EDGEGW_URL') or '').rstrip('/')
TOKEN = os.environ.get('EDGEGW_TOKEN') or ''
SCREENSHOT = (os.environ.get('EDGEGW_SCREENSHOT')
              or os.path.join(tempfile.gettempdir(), 'edgegw-dashboard.png'))
CHROMIUM = os.environ.get('CHROMIUM') or '/usr/bin/chromium'
CHROMEDRIVER = os.environ.get('CHROMEDRIVER') or '/usr/bin/chromedriver'

CHROMIUM_FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
]
VIEWPORT = (1280, 1000)
OPEN_ACK_BUTTON = 'tr[data-state="open"] button.ack:not([disabled])'

# Per chart: how many points it holds and the newest timestamp (data attributes app.js sets).
CHART_STATE_JS = """
  return [...document.querySelectorAll('.chart')].map((card) => ({
    series: card.dataset.series,
    points: Number(card.dataset.points || 0),
    lastTs: Number(card.dataset.lastTs || 0),
  }));
"""
# Whether the first chart that holds points has any non-transparent pixel; null without one.
CHART_INKED_JS = """
  const canvas = document.querySelector('.chart[data-points]:not([data-points="0"]) canvas');
  if (!canvas) return null;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let alpha = 3; alpha < pixels.length; alpha += 4) if (pixels[alpha] !== 0) return true;
  return false;
"""


def header(headers, name):
    """A response header by name, whatever case the server wrote it in."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def get_json_directly(url, token):
    """GET url with the token, bypassing any proxy from the environment: the gateway is
    reached directly, as the page reaches it."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={'Authorization': f'Bearer {token}'})
    with opener.open(request, timeout=10) as response:
        return json.load(response)


class DashboardTest(unittest.TestCase):
    """One browser session on one page; the tests are steps through it, in written order."""

    @classmethod
    def setUpClass(cls):
        if not BASE_URL:
            raise AssertionError('set EDGEGW_URL to the gateway, e.g. http://127.0.0.1:8080')
        # What chromedriver's logs have shown so far (get_log drains them, so they are kept).
        cls.requested_urls = []
        cls.document_responses = []
        cls.dialog_types = []
        cls.page_errors = []

        # A fresh profile each run: no cache, no stored token, no state from an earlier run.
        profile = tempfile.mkdtemp(prefix='edgegw-chromium-')
        cls.addClassCleanup(shutil.rmtree, profile, ignore_errors=True)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS + [f'--window-size={VIEWPORT[0]},{VIEWPORT[1]}',
                                      f'--user-data-dir={profile}']:
            options.add_argument(flag)
        # The performance log carries the page's DevTools Network and Page events (every
        # request, every dialog); the browser log carries its uncaught script errors.
        options.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})
        # Prompts are answered by the tests alone; chromedriver must not dismiss one itself.
        options.set_capability('unhandledPromptBehavior', 'ignore')
        cls.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        cls.addClassCleanup(cls.driver.quit)

        # Headless Chromium still reserves room for a toolbar inside the window; grow the
        # window by that much so the page itself gets the full 1280x1000.
        inner_w, inner_h, outer_w, outer_h = cls.driver.execute_script(
            'return [innerWidth, innerHeight, outerWidth, outerHeight]')
        cls.driver.set_window_size(VIEWPORT[0] + outer_w - inner_w, VIEWPORT[1] + outer_h - inner_h)

    @classmethod
    def tearDownClass(cls):
        # Taken here, pass or fail, so a failing run leaves a picture of what the page showed.
        try:
            try:
                # A prompt left open by a failed step would block the capture.
                cls.driver.switch_to.alert.dismiss()
            except NoAlertPresentException:
                pass
            os.makedirs(os.path.dirname(os.path.abspath(SCREENSHOT)), exist_ok=True)
            shot = cls.driver.execute_cdp_cmd(
                'Page.captureScreenshot', {'format': 'png', 'captureBeyondViewport': True})
            with open(SCREENSHOT, 'wb') as png:
                png.write(base64.b64decode(shot['data']))
            print(f'screenshot: {SCREENSHOT}', file=sys.stderr)
        except (WebDriverException, OSError) as error:
            print(f'screenshot not taken: {error}', file=sys.stderr)

    # ---- helpers ---------------------------------------------------------------------------

    @classmethod
    def collect_logs(cls):
        for entry in cls.driver.get_log('performance'):
            event = json.loads(entry['message'])['message']
            params = event.get('params', {})
            if event['method'] == 'Network.requestWillBeSent':
                cls.requested_urls.append(params['request']['url'])
            elif event['method'] == 'Network.responseReceived' and params.get('type') == 'Document':
                cls.document_responses.append(params['response'])
            elif event['method'] == 'Page.javascriptDialogOpening':
                cls.dialog_types.append(params['type'])
        # Uncaught exceptions, unhandled rejections, and requests the page's Content-Security-
        # Policy refused; console output and failed requests (the refused token's 401) have
        # other sources.
        for entry in cls.driver.get_log('browser'):
            if entry['source'] == 'javascript':
                cls.page_errors.append(entry['message'])

    def dialogs_so_far(self):
        self.collect_logs()
        return list(self.dialog_types)

    def wait(self, seconds, condition, awaited):
        """condition(driver)'s first truthy value within the deadline, or a test failure."""
        try:
            return WebDriverWait(self.driver, seconds,
                                 ignored_exceptions=[StaleElementReferenceException]
                                 ).until(condition)
        except TimeoutException:
            pass  # failed below, outside the handler, so the report is not a chained traceback
        self.fail(f'waited {seconds} s for {awaited}')

    def wait_visible(self, css, seconds, awaited):
        return self.wait(seconds, expected_conditions.visibility_of_element_located(
            (By.CSS_SELECTOR, css)), awaited)

    def text_content(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css).get_property('textContent')

    def click(self, css, seconds=10):
        # The alarm table is rebuilt every poll, so an element found a moment ago may be gone;
        # find it again until the click lands.
        def click_once(driver):
            driver.find_element(By.CSS_SELECTOR, css).click()
            return True
        self.wait(seconds, click_once, f'a clickable {css}')

    def answer_prompt(self, answer, seconds=10):
        alert = self.wait(seconds, expected_conditions.alert_is_present(), 'the token prompt')
        alert.send_keys(answer)
        alert.accept()

    def chart_state(self):
        return self.driver.execute_script(CHART_STATE_JS)

    # ---- the steps, in order ---------------------------------------------------------------

    def test_the_page_loads_from_the_gateway_alone(self):
        """the page loads from the gateway alone"""
        # The browser's own start page loads chrome:// resources before we navigate; those
        # are not the gateway page's requests.
        self.driver.get_log('performance')
        self.driver.get_log('browser')
        self.driver.get(BASE_URL + '/')
        self.collect_logs()
        page = [r for r in self.document_responses if r['url'] == BASE_URL + '/']
        self.assertEqual(len(page), 1, [r['url'] for r in self.document_responses])
        self.assertEqual(page[0]['status'], 200)
        self.assertRegex(header(page[0]['headers'], 'content-type') or '', r'^text/html')
        self.assertEqual(self.driver.title, 'edgegw diagnostics')

    def test_status_is_shown_connection_state_and_backlog(self):
        """status is shown: connection state and backlog"""
        # data-connected is "true"/"false" once a status answer has arrived ("undefined" while
        # the status cannot be had, absent before the first poll).
        self.wait(15, lambda d: d.execute_script(
            "return ['true', 'false'].includes(document.getElementById('uplink-state')"
            ".dataset.connected)"), 'a status answer on the page')
        pill = self.text_content('#uplink-state')
        self.assertIn(pill, ['connected', 'disconnected'])
        self.assertRegex(self.text_content('#backlog-readings'), r'^[\d,. ]+$')

    def test_charts_fill_with_data_and_then_move(self):
        """charts fill with data and then move"""
        self.wait(30, lambda d: any(c['points'] > 1 for c in self.chart_state()),
                  'a chart with more than one point')
        first = self.chart_state()
        with_data = [c for c in first if c['points'] > 0]
        self.assertTrue(with_data, first)
        # Both simulators' series should appear (chocolate.* and crane.*).
        names = [c['series'] for c in first]
        self.assertTrue(any(n.startswith('chocolate.') for n in names), ' '.join(names))
        self.assertTrue(any(n.startswith('crane.') for n in names), ' '.join(names))
        # Live: some series' newest timestamp advances within a few polls.
        newest_before = {c['series']: c['lastTs'] for c in with_data}
        self.wait(15, lambda d: any(
            c['series'] in newest_before and c['lastTs'] > newest_before[c['series']]
            for c in self.chart_state()), 'a newer point on a chart')
        # Something was drawn: the canvas is not blank.
        inked = self.driver.execute_script(CHART_INKED_JS)
        self.assertIsNotNone(inked, 'no chart canvas with points')
        self.assertTrue(inked, 'the chart canvas is blank')

    def test_an_alarm_is_acknowledged_with_the_token_a_wrong_token_is_refused(self):
        """an alarm is acknowledged with the token; a wrong token is refused"""
        self.assertTrue(TOKEN, 'set EDGEGW_TOKEN to the gateway API token')
        self.wait_visible(OPEN_ACK_BUTTON, 60, 'an open alarm to acknowledge')

        # Wrong token first: the page must say so and forget it.
        self.click(OPEN_ACK_BUTTON)
        self.answer_prompt('not-the-token')
        self.wait(10, lambda d: self.text_content('#alarm-error') != '',
                  'the page to report the refused token')
        self.assertRegex(self.text_content('#alarm-error'), r'40[13]')
        self.assertEqual(self.dialogs_so_far(), ['prompt'])

        # The right one: the prompt comes again, the alarm leaves the open list, and the API
        # agrees that it is acknowledged.
        def open_alarm_id(driver):
            button = expected_conditions.visibility_of_element_located(
                (By.CSS_SELECTOR, OPEN_ACK_BUTTON))(driver)
            return button and driver.execute_script(
                "return arguments[0].closest('tr').dataset.alarmId", button)
        alarm_id = self.wait(10, open_alarm_id, 'an open alarm to acknowledge again')
        row = f'tr[data-alarm-id="{alarm_id}"]'
        self.click(f'{row} button.ack')
        self.answer_prompt(TOKEN)
        self.wait(10, lambda d: d.execute_script(
            'const row = document.querySelector(arguments[0]);'
            "return !row || row.dataset.state !== 'open';", row),
            f'alarm {alarm_id} to leave the open list')
        self.assertEqual(self.dialogs_so_far(), ['prompt', 'prompt'])
        self.assertEqual(self.text_content('#alarm-error'), '')
        everything = get_json_directly(f'{BASE_URL}/api/v1/alarms?state=all', TOKEN)
        acked = [a for a in everything.get('alarms') or [] if str(a.get('id')) == alarm_id]
        self.assertTrue(acked, f'alarm {alarm_id} not in ?state=all')
        self.assertEqual(acked[0].get('state'), 'acked')

        # The token is kept for the session: showing acknowledged alarms marks this one so.
        show_all = self.driver.find_element(By.ID, 'alarms-show-all')
        if not show_all.is_selected():
            show_all.click()
        self.assertTrue(show_all.is_selected(), 'the "show acknowledged" box stays unticked')
        self.wait_visible(f'{row}[data-state="acked"]', 10, f'alarm {alarm_id} shown as acked')

    def test_the_cost_saving_is_shown(self):
        """the cost saving is shown"""
        self.wait(30, lambda d: self.text_content('#cost-ratio').endswith('×'),
                  'a cost ratio such as "12×"')
        # A generic broker has no price list: then the page says so instead of a dollar figure.
        if self.driver.find_element(By.ID, 'cost-money').is_displayed():
            self.assertRegex(self.text_content('#cost-monthly'), r'^\$')
        else:
            self.assertRegex(self.text_content('#cost-plan'), r'no price list')

    def test_nothing_outside_the_gateway_was_requested_and_the_script_raised_no_error(self):
        """nothing outside the gateway was requested and the script raised no error"""
        # The page must work offline: anything it asks for must come from the gateway.
        self.collect_logs()
        foreign = [url for url in self.requested_urls
                   if not url.startswith(BASE_URL + '/') and not url.startswith('data:')]
        self.assertEqual(foreign, [])
        self.assertEqual(self.page_errors, [])


def load_tests(loader, standard_tests, pattern):
    # Each step builds on the ones before (one page load, the request log checked last), so
    # they run in the order written rather than unittest's alphabetical one.
    names = [name for name in DashboardTest.__dict__ if name.startswith('test_')]
    return unittest.TestSuite(DashboardTest(name) for name in names)


if __name__ == '__main__':
    unittest.main(verbosity=2)

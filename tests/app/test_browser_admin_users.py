"""The admin 'users' tab in real headless Chromium: the admin creates a user and sees the
one-time password; the new user logs in with it in a second browser; the admin resets their
password and then disables them, and the new user's open page is logged out at its next
action each time. Screenshot docs/screens/admin-users-1440x900.png."""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM_FLAGS, chromium_path, login, served
from tests.conftest import ROOT, SECRET, demo_passwords, write_config

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens"
DESK = {"width": 1440, "height": 900}
NEW = "zhang_san"


def _pick(page, dropdown: str, text: str) -> None:
    """Choose the option of a (Dash 4) dropdown that holds ``text``, searching for it."""
    trigger = page.locator(f"#{dropdown}")
    trigger.evaluate("e => e.scrollIntoView({block: 'center'})")
    trigger.click()
    search = page.locator(".dash-dropdown-search").last
    if search.count():
        search.fill(text)
    page.locator(".dash-dropdown-option", has_text=text).first.click()
    page.keyboard.press("Escape")


def _once(page, where: str) -> str:
    """The secret a result under ``where`` shows once."""
    page.wait_for_selector(f"#{where} .admin-users-once", timeout=20_000)
    return page.inner_text(f"#{where} .admin-users-once").strip()


def _logged_out(page, url: str) -> None:
    """The user's next action finds the session ended: their API call is 401, and the next
    page they open is the log-in form."""
    assert page.request.get(url + "/api/v1/categories").status == 401
    page.reload()
    page.wait_for_url(url + "/login**", timeout=20_000)


def test_admin_creates_resets_and_disables_a_user(demo_copy):
    from playwright.sync_api import sync_playwright

    folder = demo_copy()
    write_config(folder, demo={"history_days": 0}, ingest={"mqtt_enabled": False})
    passwords = demo_passwords(folder)
    SCREENS.mkdir(parents=True, exist_ok=True)
    with served(folder, secret=SECRET) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True,
                                    args=CHROMIUM_FLAGS)  # fmt: skip
        errors: list[str] = []

        def context_page():
            context = browser.new_context(viewport=DESK, locale="zh-CN",
                                          timezone_id="Asia/Shanghai")  # fmt: skip
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            return page

        try:
            admin = context_page()
            login(admin, url, "admin", passwords["admin"], path="/admin")
            admin.wait_for_selector("table#admin-users")
            assert "xq_operator" in admin.inner_text("#admin-users")
            admin.fill("#admin-users-filter", "xq_")
            admin.press("#admin-users-filter", "Enter")
            admin.wait_for_function(
                "() => !document.querySelector('#admin-users').innerText.includes('dispatcher')"
            )
            admin.fill("#admin-users-filter", "")
            admin.press("#admin-users-filter", "Enter")

            admin.fill("#admin-users-new-name", NEW)
            admin.fill("#admin-users-new-display", "张三")
            _pick(admin, "admin-users-new-kind", "区县")
            _pick(admin, "admin-users-new-codes", "湘桥区")
            admin.click("#admin-users-create")
            first = _once(admin, "admin-users-create-message")
            assert len(first) >= 16
            admin.wait_for_function(
                f"() => document.querySelector('#admin-users').innerText.includes('{NEW}')"
            )

            user = context_page()
            login(user, url, NEW, first, path="/screen")
            assert user.request.get(url + "/api/v1/categories").status == 200

            _pick(admin, "admin-users-target", NEW)
            admin.wait_for_function(
                "() => document.querySelector('#admin-users-state').innerText.includes('"
                + NEW + "')"
            )  # fmt: skip
            admin.click("#admin-users-reset")
            second = _once(admin, "admin-users-message")
            assert second != first
            admin.evaluate("window.scrollTo(0, 0)")
            admin.locator("#admin-users-message").scroll_into_view_if_needed()
            admin.screenshot(path=str(SCREENS / "admin-users-1440x900.png"))
            _logged_out(user, url)

            login(user, url, NEW, second, path="/screen")
            admin.click("#admin-users-disable")
            # the reset's message is still there until the disable's answer replaces it
            admin.wait_for_function(
                "document.querySelector('#admin-users-message').innerText.includes('已停用')",
                timeout=20_000,
            )
            _logged_out(user, url)
            user.fill("#username", NEW)
            user.fill("#password", second)
            user.click("#login-submit")
            user.wait_for_selector("#username")  # refused: still the log-in form
            assert "/login" in user.url

            admin.click("#admin-users-disable")  # the admin's own refusal is shown
            _pick(admin, "admin-users-target", "admin")
            admin.wait_for_function(
                "() => document.querySelector('#admin-users-state').innerText.startsWith('admin')"
            )
            admin.click("#admin-users-disable")
            admin.wait_for_selector("#admin-users-message .msg.err", timeout=20_000)
            assert "不能停用自己的账号" in admin.inner_text("#admin-users-message")
            width = admin.evaluate("document.documentElement.scrollWidth")
            assert width <= DESK["width"], width
        except Exception:
            for i, context in enumerate(browser.contexts):
                for j, page in enumerate(context.pages):
                    page.screenshot(path=str(folder / f"failed-{i}-{j}.png"))
            print("screenshots of the failure in", folder)
            raise
        finally:
            browser.close()
    # dash-renderer reads a 401 answer's body twice (its JWT-refresh check, then its error
    # handler) and throws this when a callback of the user's open page meets the ended session;
    # a renderer bug, not ours: the page goes to the log-in form as tested above
    dash_double_read = "Failed to execute 'text' on 'Response': body stream already read"
    assert not [e for e in errors if e != dash_double_read], errors

"""Log-in, sessions and the server-side gate every request passes before Dash runs."""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from urllib.parse import quote, urlsplit

import flask
import flask_login

from app.i18n import LANGUAGES, t
from models.api_tokens import token_user
from models.clock import utcnow
from models.config import Config
from models.security import HOME_PAGE, PAGE_ROLES, LoginThrottle, Scope, check_login, may_open
from models.store import Store
from models.users import User, end_sessions, get_user

log = logging.getLogger(__name__)

#: Paths anyone may reach: the log-in page itself and the liveness probe.
PUBLIC_PATHS = frozenset({"/login", "/logout", "/health", "/favicon.ico"})
#: Prefixes whose handlers decide access themselves: Open311 is the city's public status
#: API, and its POST checks an API key instead of a session; /cap/ is the public feed of
#: published warnings (app/cap_feed.py).
SELF_GUARDED_PREFIXES = ("/open311/", "/cap/")
#: Prefixes of machine endpoints: answered 401/403, never redirected.
API_PREFIXES = (
    "/_dash-",
    "/_reload-hash",
    "/_favicon",
    "/api/",
    "/open311/",
    "/screen/api/",
    "/health/",
)
#: The JSON API: the one place a bearer token stands for a session (``Authorization:
#: Bearer <token>``); everywhere else a bearer header is ignored.
API_V1 = "/api/v1"
#: A session-cookie write to the API must carry this header (any value). A browser sends a
#: custom header cross-site only after a CORS preflight, which this server never grants, so
#: a forged form or image on another site cannot write with the user's cookie.
API_CSRF_HEADER = "X-Requested-With"
_BEARER_USER = "cityops_bearer_user"
#: Session keys: the user's session epoch at log-in, and the log-out form's CSRF token.
_EPOCH_KEY = "epoch"
_LOGOUT_CSRF_KEY = "logout_csrf"
_ID_RE = re.compile(r"([a-z][a-z0-9]*)-[a-z0-9-]+")
#: The location component Dash's Pages router reads: its pathname picks the page rendered.
_ROUTER_LOCATION = "_pages_location"


@dataclass
class SessionUser(flask_login.UserMixin):
    """The logged-in user as Flask-Login sees it."""

    user: User

    def get_id(self) -> str:
        return self.user.username

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def scope(self) -> Scope:
        return self.user.scope


def current_user() -> SessionUser | None:
    if flask.has_request_context() and _BEARER_USER in flask.g:
        return flask.g.get(_BEARER_USER)
    user = flask_login.current_user
    return user if isinstance(user, SessionUser) else None


def current_language(config: Config) -> str:
    lang = flask.session.get("lang")
    if lang in LANGUAGES:
        return str(lang)
    user = current_user()
    if user is not None and user.user.language in LANGUAGES:
        return str(user.user.language)
    return config.settings.ui.language


def page_of_path(path: str) -> str | None:
    first = path.strip("/").split("/", 1)[0]
    return first if first in PAGE_ROLES else None


def pages_of_callback(body: bytes) -> set[str]:
    """The pages a Dash callback request writes to: those its output ids name (ids are
    page-prefixed), and the page the Pages router would render for the pathname it sends."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return set()
    if not isinstance(payload, dict):
        return set()  # not a callback request: app.bounds answers it 400
    output = str(payload.get("output", ""))
    pages = {m.group(1) for m in _ID_RE.finditer(output) if m.group(1) in PAGE_ROLES}
    inputs = payload.get("inputs")
    for item in inputs if isinstance(inputs, list) else []:
        if (
            isinstance(item, dict)
            and item.get("id") == _ROUTER_LOCATION
            and item.get("property") == "pathname"
            and isinstance(item.get("value"), str)
        ):
            page = page_of_path(item["value"])
            if page is not None:
                pages.add(page)
    return pages


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _remote() -> str:
    return flask.request.remote_addr or "-"


def is_api_v1(path: str) -> bool:
    """Whether ``path`` lies under the JSON API (where bearer tokens count)."""
    return path == API_V1 or path.startswith(API_V1 + "/")


def _unauthorised(message: str) -> flask.Response:
    answer = flask.jsonify(error=message, code="unauthorized")
    answer.status_code = 401
    answer.headers["WWW-Authenticate"] = 'Bearer realm="cityops"'
    return answer


def _bearer_user(store: Store) -> User | flask.Response | None:
    """The user of the request's bearer token; a 401 answer for a malformed, unknown or
    revoked token or a disabled user; None without an Authorization header."""
    header = flask.request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorised("use Authorization: Bearer <token>")
    username = token_user(store, token.strip(), at=utcnow())
    user = get_user(store, username) if username is not None else None
    if user is None or user.disabled:
        log.warning("api token refused", extra={"remote": _remote()})
        return _unauthorised("invalid or revoked token")
    return user


def _unknown_api_path(store: Store) -> flask.Response | None:
    """An /api/ path outside /api/v1 (no endpoint lives there) asked with a bearer token:
    a valid token gets the JSON 404 (the token authenticates nothing here), a bad one 401;
    None without a bearer header (the session or the 401 decide)."""
    user = _bearer_user(store)
    if user is None or isinstance(user, flask.Response):
        return user
    answer = flask.jsonify(error="not found", code="not_found")
    answer.status_code = 404
    return answer


def _api_credentials(store: Store) -> flask.Response | None:
    """For an /api/v1 request: take a bearer token as the user (refusing a bad one), or
    hold a session-cookie write to the cross-site checks. None lets the request go on."""
    user = _bearer_user(store)
    if isinstance(user, flask.Response):
        return user
    if user is not None:
        setattr(flask.g, _BEARER_USER, SessionUser(user))
        return None
    if flask.request.method in ("GET", "HEAD", "OPTIONS") or current_user() is None:
        return None
    origin = flask.request.headers.get("Origin")
    same_site = origin is None or origin.rstrip("/") == flask.request.host_url.rstrip("/")
    if not flask.request.headers.get(API_CSRF_HEADER) or not same_site:
        answer = flask.jsonify(
            error=f"a session-cookie write needs the {API_CSRF_HEADER} header "
            "and this site's origin (or use a bearer token)"
        )
        answer.status_code = 403
        return answer
    return None


def install_auth(
    server: flask.Flask,
    *,
    config: Config,
    store: Store,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Wire Flask-Login, the log-in routes and the request gate into ``server``.

    Parameters
    ----------
    clock
        Monotonic seconds for the log-in throttle (a test moves it instead of sleeping).
    """
    settings = config.settings.security
    secret = config.secrets.secret_key
    if secret is None:
        log.warning("CITYOPS_SECRET_KEY is not set: using a random key, sessions end on restart")
        server.secret_key = secrets.token_hex(32)
    else:
        server.secret_key = secret.get_secret_value()
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        # Send the cookie only when the session changes: the wall polls every second, and a
        # poll answered after /lang/xx must not write the old language back.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    manager = flask_login.LoginManager()
    manager.init_app(server)
    # Per (account, address): wrong guesses from elsewhere never stop the user at their own
    # desk. Per address across accounts with more room (a command center sits behind one NAT),
    # against one address spraying many names. Both slow down (1 s, 2 s, 4 s ...), never lock.
    pair_throttle = LoginThrottle(settings.login_max_failures, settings.login_window_s)
    address_throttle = LoginThrottle(settings.login_max_failures * 10, settings.login_window_s)

    @manager.user_loader
    def _load(username: str) -> SessionUser | None:
        # Read on every request, uncached: a session ended a moment ago is refused at once.
        user = get_user(store, username)
        if user is None or user.disabled:
            return None
        if flask.session.get(_EPOCH_KEY) != user.session_epoch:
            return None  # opened before a log-out, new password, disable, role or scope change
        return SessionUser(user)

    @server.before_request
    def _gate() -> flask.Response | None:
        path = flask.request.path
        if path in PUBLIC_PATHS or path.startswith(("/lang/", *SELF_GUARDED_PREFIXES)):
            return None
        if is_api_v1(path):
            refused = _api_credentials(store)
            if refused is not None:
                return refused
        elif path.startswith("/api/") and current_user() is None:
            unknown = _unknown_api_path(store)
            if unknown is not None:
                return unknown
        user = current_user()
        machine = path.startswith(API_PREFIXES) or flask.request.method != "GET"
        if user is None:
            if machine:
                return flask.jsonify(error="authentication required"), 401  # type: ignore[return-value]
            return flask.redirect(
                "/login?next=" + quote(flask.request.full_path.rstrip("?"), safe="/")
            )
        if path == "/":
            return flask.redirect("/" + HOME_PAGE[user.role])
        page = page_of_path(path)
        denied = page is not None and not may_open(user.role, page)
        if path == "/_dash-update-component":
            denied = any(
                not may_open(user.role, p) for p in pages_of_callback(flask.request.get_data())
            )
        if denied:
            store.audit(
                "access.denied",
                actor=user.user.username,
                target=path,
                outcome="denied",
                remote=_remote(),
            )
            if machine:
                return flask.jsonify(error="forbidden for this role"), 403  # type: ignore[return-value]
            lang = current_language(config)
            return flask.Response(_page(t("error.forbidden", lang), t("page.forbidden", lang)), 403)
        return None

    @server.route("/login", methods=["GET", "POST"])
    def login() -> flask.Response | str:
        lang = current_language(config)
        next_url = _safe_next(flask.request.values.get("next"))
        if flask.request.method == "GET":
            return _login_form(config, lang, next_url)
        form = flask.request.form
        token = flask.session.pop("csrf", None)
        if not token or not hmac.compare_digest(token, form.get("csrf", "")):
            return flask.Response(
                _login_form(config, lang, next_url, t("login.expired", lang)), 400
            )
        username = form.get("username", "").strip()
        now = clock()
        checks = ((pair_throttle, (username.lower(), _remote())), (address_throttle, _remote()))
        wait = max(th.retry_after(key, now) for th, key in checks)
        if wait > 0:
            store.audit("login", actor=username, outcome="throttled", remote=_remote())
            log.warning("login throttled", extra={"user": username, "remote": _remote()})
            refused = flask.Response(
                _login_form(config, lang, next_url, t("login.throttled", lang)), 429
            )
            refused.headers["Retry-After"] = str(math.ceil(wait))
            return refused
        user = get_user(store, username)
        # One hash check whoever is named (unknown and disabled too): timing tells nothing.
        matches = check_login(
            user.password_hash if user is not None else None, form.get("password", "")
        )
        if not matches or user is None or user.disabled:
            for th, key in checks:
                th.failed(key, now)
            store.audit("login", actor=username, outcome="failed", remote=_remote())
            log.warning("login failed", extra={"user": username, "remote": _remote()})
            return flask.Response(_login_form(config, lang, next_url, t("login.failed", lang)), 401)
        pair_throttle.succeeded(checks[0][1])
        flask.session.clear()
        flask.session.permanent = True
        flask.session[_EPOCH_KEY] = user.session_epoch
        logout_token()  # in the first cookie, so no later response has to write the session
        flask_login.login_user(SessionUser(user))
        store.audit("login", actor=username, outcome="ok", remote=_remote())
        log.info("login", extra={"user": username, "role": user.role, "remote": _remote()})
        if next_url == "/":
            next_url = "/" + HOME_PAGE[user.role]
        return flask.redirect(next_url)  # type: ignore[return-value]

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> flask.Response | str:
        user = current_user()
        if user is None:
            return flask.redirect("/login")  # type: ignore[return-value]
        lang = current_language(config)
        if flask.request.method == "GET":
            # A link or an <img src=/logout> must not log anyone out: GET only asks.
            return _page(t("nav.logout", lang), _logout_form(lang))
        token = flask.session.get(_LOGOUT_CSRF_KEY)
        if not token or not hmac.compare_digest(token, flask.request.form.get("csrf", "")):
            return flask.Response(_page(t("nav.logout", lang), _logout_form(lang)), 400)
        end_sessions(store, user.user.username)
        store.audit("logout", actor=user.user.username, remote=_remote())
        flask_login.logout_user()
        flask.session.clear()
        return flask.redirect("/login")  # type: ignore[return-value]

    @server.route("/lang/<code>")
    def set_language(code: str) -> flask.Response:
        if code in LANGUAGES:
            flask.session["lang"] = code
        return flask.redirect(_safe_next(flask.request.args.get("next")))  # type: ignore[return-value]


def logout_token() -> str:
    """The CSRF token of the log-out form, one per session (made on first use)."""
    token = flask.session.get(_LOGOUT_CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        flask.session[_LOGOUT_CSRF_KEY] = token
    return token


def _logout_form(lang: str) -> str:
    return (
        "<form method='post' action='/logout'>"
        f"<input type='hidden' name='csrf' value='{escape(logout_token())}'>"
        f"<button type='submit' id='logout-submit'>{escape(t('nav.logout', lang))}</button></form>"
    )


def _page(title: str, body_html: str) -> str:
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main class='box'><h1>{escape(title)}</h1><p>{body_html}</p>"
        "<p><a href='/'>↩</a></p></main></body></html>"
    )


def _login_form(config: Config, lang: str, next_url: str, error: str = "") -> str:
    token = secrets.token_urlsafe(24)
    flask.session["csrf"] = token
    city = config.settings.city.name_zh if lang == "zh" else config.settings.city.name_en
    other = "en" if lang == "zh" else "zh"
    err = f"<p class='err' role='alert'>{escape(error)}</p>" if error else ""
    return (
        f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(t('login.title', lang))} · CityOps</title><style>{_CSS}</style></head><body>"
        "<main class='box'>"
        f"<h1>{escape(t('app.center', lang, city=city))}</h1>"
        f"<h2>{escape(t('app.title', lang))}</h2>{err}"
        "<form method='post' action='/login'>"
        f"<input type='hidden' name='csrf' value='{token}'>"
        f"<input type='hidden' name='next' value='{escape(next_url)}'>"
        f"<label>{escape(t('login.username', lang))}"
        "<input name='username' id='username' autocomplete='username' required autofocus></label>"
        f"<label>{escape(t('login.password', lang))}"
        "<input name='password' id='password' type='password' autocomplete='current-password' required>"
        f"</label><button type='submit' id='login-submit'>{escape(t('login.submit', lang))}</button>"
        f"</form><p class='lang'><a href='/lang/{other}?next=/login'>{escape(t('nav.language', lang))}</a>"
        "</p></main></body></html>"
    )


_CSS = (
    "body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;"
    "background:radial-gradient(circle at 50% 30%,#0d2a4a,#030814 70%);color:#d8e6ff;"
    "font-family:'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif}"
    ".box{width:380px;padding:36px 40px;border:1px solid #1f4f86;border-radius:8px;"
    "background:rgba(6,20,40,.85);box-shadow:0 0 40px rgba(0,160,255,.15)}"
    "h1{font-size:22px;margin:0 0 4px;color:#7fd4ff}h2{font-size:14px;font-weight:400;"
    "margin:0 0 24px;color:#8aa4c8}label{display:block;margin:12px 0;font-size:14px}"
    "input{display:block;width:100%;box-sizing:border-box;margin-top:6px;padding:10px;"
    "border:1px solid #2a5c94;border-radius:4px;background:#081a33;color:#e8f1ff;font-size:15px}"
    "button{width:100%;margin-top:18px;padding:11px;border:0;border-radius:4px;"
    "background:#1677ff;color:#fff;font-size:16px;cursor:pointer}"
    ".err{color:#ff7875;background:rgba(255,77,79,.1);padding:8px;border-radius:4px}"
    ".lang{text-align:right;font-size:13px}a{color:#69b1ff}"
)

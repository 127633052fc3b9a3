"""The fleet dashboard at /fleet: server-rendered HTML (Jinja2, autoescaped), zh-CN and en.

Operators sign in with their operator token (POST /fleet/login); the service answers with a
session cookie (HttpOnly, SameSite=Strict, Path=/fleet; Secure over https) whose secret only
it knows by hash (the fleet store). A session ends at sign-out, after SESSION_HOURS, or as
soon as its token is revoked or replaced. No answer here redirects (the service answers no
path with a 3xx): signing in answers the dashboard itself, which refreshes every minute with a
plain ``<meta http-equiv="refresh">`` and no script at all.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader
from starlette.requests import Request
from starlette.responses import Response

from backend.eligibility_http import read_bounded
from backend.fleet.insights import CHART_HEIGHT, CHART_WIDTH, criteria_ranking, freshness, uptake
from backend.fleet.page_text import device_row, moment_text
from backend.fleet.service import Fleet
from backend.fleet.store import OperatorSession
from backend.fleet.view import STATES
from backend.problems import RATE_LIMITED, ProblemError
from kiosk.core.catalog import translate
from kiosk.core.text import Locale

COOKIE = "xinyi_fleet_session"
SESSION_HOURS = 8
MAX_FORM_BYTES = 4096
# Styles from this service only, forms posted only to it, nothing else loaded or framed.
PAGE_POLICY = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
_HTML = "text/html; charset=utf-8"


def _locale(request: Request, form: dict[str, str] | None = None) -> Locale:
    chosen = (form or {}).get("lang") or request.query_params.get("lang")
    if chosen in ("en", "zh-CN"):
        return chosen  # type: ignore[return-value]
    accept = request.headers.get("accept-language", "").strip().lower()
    return "en" if accept.startswith("en") else "zh-CN"


class Dashboard:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.templates = Environment(
            loader=PackageLoader("backend.fleet", "templates"), autoescape=True, auto_reload=False
        )
        self.stylesheet_bytes = resources.files("backend.fleet").joinpath("fleet.css").read_bytes()

    # -- routes ---------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        locale = _locale(request)
        session = self._session(request)
        if session is None:
            return self._render("login.html", locale, status=200)
        return self._dashboard(locale, session.operator)

    async def login(self, request: Request) -> Response:
        form = await self._form(request)
        locale = _locale(request, form)
        token = form.get("token", "").strip()
        address = request.client.host if request.client else None
        try:
            operator = self.fleet.operator_gate.admit(f"Bearer {token}", address)
        except ProblemError as error:
            if error.kind is RATE_LIMITED:
                problem = translate("fleet.login.limited", locale, seconds=error.headers.get("Retry-After", "60"))
                return self._render("login.html", locale, status=429, problem=problem, headers=error.headers)
            return self._render("login.html", locale, status=401, problem=translate("fleet.login.failed", locale))
        token_id = self.fleet.operators.token_id_for(f"Bearer {token}") or ""
        secret = self.fleet.store.open_session(
            OperatorSession(operator, token_id), self.fleet.clock() + timedelta(hours=SESSION_HOURS)
        )
        response = self._dashboard(locale, operator)
        response.set_cookie(
            COOKIE,
            secret,
            max_age=SESSION_HOURS * 3600,
            path="/fleet",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout(self, request: Request) -> Response:
        form = await self._form(request)
        secret = request.cookies.get(COOKIE)
        if secret:
            self.fleet.store.close_session(secret)
        response = self._render("login.html", _locale(request, form), status=200)
        response.delete_cookie(COOKIE, path="/fleet", httponly=True, samesite="strict")
        return response

    async def stylesheet(self, request: Request) -> Response:
        return Response(
            self.stylesheet_bytes, media_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=300"}
        )

    # -- parts ----------------------------------------------------------------------------
    def _session(self, request: Request) -> OperatorSession | None:
        secret = request.cookies.get(COOKIE)
        if not secret:
            return None
        session = self.fleet.store.session(secret, self.fleet.clock())
        if session is None or not self.fleet.operators.holds(session.operator, session.token_id):
            return None  # expired, or its token was revoked or replaced since
        return session

    async def _form(self, request: Request) -> dict[str, str]:
        length = request.headers.get("content-length")
        try:
            raw = await read_bounded(request.receive, length.encode("latin-1") if length else None, MAX_FORM_BYTES)
            fields = parse_qs(raw.decode("utf-8"), max_num_fields=8)
        except (ProblemError, UnicodeDecodeError, ValueError):
            return {}
        return {key: values[0] for key, values in fields.items() if values}

    def _render(
        self, name: str, locale: Locale, *, status: int, headers: dict[str, str] | None = None, **context: Any
    ) -> Response:
        html = self.templates.get_template(name).render(
            t=lambda key, **params: translate(key, locale, **params),
            locale=locale,
            other_locale="en" if locale == "zh-CN" else "zh-CN",
            **context,
        )
        return Response(
            html,
            status_code=status,
            media_type=_HTML,
            headers={**(headers or {}), "Content-Security-Policy": PAGE_POLICY},
        )

    def _dashboard(self, locale: Locale, operator: str) -> Response:
        fleet = self.fleet
        now = fleet.clock()
        views = fleet.views()
        days = fleet.window()
        criteria = fleet.store.criterion_totals(days[0])
        groups = [(state, [device_row(v, now, locale) for v in views if v.state == state]) for state in STATES]
        return self._render(
            "dashboard.html",
            locale,
            status=200,
            refresh=True,
            operator=operator,
            generated=moment_text(now, locale),
            states=STATES,
            counts={state: len(rows) for state, rows in groups},
            groups=[(state, rows) for state, rows in groups if rows],
            days=days,
            uptake=uptake(fleet.store.outcome_totals(days[0]), fleet.catalog, days, locale),
            chart_width=CHART_WIDTH,
            chart_height=CHART_HEIGHT,
            criteria=criteria_ranking(criteria, fleet.catalog, locale),
            freshness=freshness(criteria, fleet.catalog, locale),
        )

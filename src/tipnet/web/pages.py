"""A page is data plus a template; the router serves it as HTML or as its JSON twin, decided once.

A page module declares its routes on a `PageRouter`. `@router.page("/submissions")` registers the handler for
`/submissions` and for its JSON twin `/submissions.json` (Datasette's format suffix); the handler returns a `Page`
(template + data) or, for a form post, a `Done` (data + where a browser goes next), and `answer` turns either into
the response the client asked for. A handler may still return a `Response` of its own (a file, a stream).
Either answer may carry a `finish`, run on the response whichever form it takes (HTML, JSON or the redirect): what
must go with the answer but is not data, such as a cookie to set or clear (`Done(..., finish=lambda r: ...)`).

The one rule for HTML or JSON (`wants_json`): JSON when the path ends in `.json`, or when the `Accept` header's first
media range is `application/json`; HTML otherwise. The error pages (`tipnet.web.errors`) and the sign-in redirect
(`tipnet.web.security.wants_html`) ask the same function, `tipnet.web.accept.wants_json`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tipnet import __version__
from tipnet.i18n import LANGUAGE_NAMES, LANGUAGES, date, day, number, translate
from tipnet.web.accept import JSON_SUFFIX, wants_json
from tipnet.web.i18n import negotiate
from tipnet.web.security import csrf_token, principal, session_timing

TWIN_ATTR = "__tipnet_json_twin__"

Finish = Callable[[Response], None]  # applied to the answer's response, HTML, JSON or redirect (a cookie to set)


@dataclass
class Page:
    """What a page handler returns: the template for browsers and the data (also the JSON twin's body)."""

    template: str
    data: dict[str, Any]
    status: int = 200
    context: dict[str, Any] = field(default_factory=dict)  # HTML-only extras (never sent as JSON)
    finish: Finish | None = None


@dataclass
class Done:
    """The answer to a form post: JSON clients get `data`; browsers are sent to `redirect` (303 See Other)."""

    data: dict[str, Any]
    redirect: str
    status: int = 200
    finish: Finish | None = None


class Renderer:
    """Renders a page as HTML, with the page's language, formatting helpers, the signed-in user and CSRF token."""

    def __init__(self, templates: Jinja2Templates) -> None:
        self.templates = templates

    def html(self, request: Request, template: str, data: dict[str, Any], status: int = 200,
             context: dict[str, Any] | None = None) -> Response:
        lang = negotiate(request)
        ctx = {
            "request": request,
            "data": data,
            "lang": lang,
            "languages": LANGUAGES,
            "language_names": LANGUAGE_NAMES,
            "version": __version__,
            "t": lambda key, **kw: translate(lang, key, **kw),
            "fmt_number": lambda value, digits=None: number(lang, value, digits),
            "fmt_date": lambda value, style="medium": date(lang, value, style),
            "fmt_day": lambda value, style="medium": day(lang, value, style),
            "me": principal(request),
            "csrf": csrf_token(request),
            "session_timing": session_timing(request),
            **(context or {}),
        }
        response = self.templates.TemplateResponse(request, template, ctx, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie("tipnet_lang", lang, samesite="lax", httponly=True)
        return response

    def __call__(self, request: Request, template: str, data: dict[str, Any], status: int = 200,
                 context: dict[str, Any] | None = None) -> Response:
        """The page as its client asked for it: JSON (see `wants_json`) or HTML."""
        if wants_json(request):
            return JSONResponse(data, status_code=status)
        return self.html(request, template, data, status, context)


def answer(request: Request, result: Any) -> Response:
    """Turn what a page handler returned into the response its client asked for."""
    response: Response
    if isinstance(result, Response):
        return result
    if isinstance(result, Page):
        renderer: Renderer = request.app.state.page
        response = renderer(request, result.template, result.data, result.status, result.context)
    elif isinstance(result, Done):
        if wants_json(request):
            response = JSONResponse(result.data, status_code=result.status)
        else:
            response = RedirectResponse(result.redirect, status_code=303)
    else:
        raise TypeError(f"a page handler returned {type(result).__name__}; expected Page, Done or a Response")
    if result.finish is not None:
        result.finish(response)
    return response


def _request_param(fn: Callable[..., Any]) -> str:
    for name, param in inspect.signature(fn).parameters.items():
        if param.annotation in (Request, "Request"):
            return name
    raise TypeError(f"page handler {fn.__qualname__} must take a `request: Request` parameter")


def as_page(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a handler so its `Page`/`Done` result is answered as HTML or JSON (sync stays sync, async stays async).
    The wrapper keeps the handler's signature and attributes (its access rule)."""
    name = _request_param(fn)
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Response:
            return answer(kwargs[name], await fn(*args, **kwargs))

        setattr(run_async, TWIN_ATTR, True)
        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Response:
        return answer(kwargs[name], fn(*args, **kwargs))

    setattr(run, TWIN_ATTR, True)
    return run


class PageRouter(APIRouter):
    """An APIRouter whose `page` routes come in pairs: the HTML page and its `.json` twin, one handler."""

    def page(self, path: str, methods: Sequence[str] = ("GET",), twin: str | None = None,
             **kwargs: Any) -> Callable[[Any], Any]:
        """Register `fn` for `path` and its JSON twin (`path` + `.json`, or `twin` where that cannot be: `/`).
        The twin's JSON is the page's data, not a `Page`: no response model is taken from the handler's return
        annotation (which may also be `Page | Response`) unless `response_model` is given."""
        kwargs.setdefault("response_model", None)

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            endpoint = as_page(fn)
            # the twin first: `/x/{id}.json` must win over `/x/{id}` (whose parameter would swallow the suffix)
            self.add_api_route(twin or path + JSON_SUFFIX, endpoint, methods=list(methods), **kwargs)
            self.add_api_route(path, endpoint, methods=list(methods), include_in_schema=False, **kwargs)
            return fn

        return register


def is_twin_endpoint(endpoint: Any) -> bool:
    """Whether an endpoint was registered by `PageRouter.page` (the one JSON-twin mechanism)."""
    return bool(getattr(endpoint, TWIN_ATTR, False))

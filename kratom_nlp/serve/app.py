"""The fact-checkers' desk: a FastAPI app that analyses an article, lets a person review each
claim, and exports the corrections for ``kratom-nlp annotate import``.

:func:`create_app` builds the app around one pipeline (given, or loaded once at startup), one
SQLite store and one bounded :class:`~kratom_nlp.serve.runner.Analyzer`. Pages are rendered on
the server (Jinja2, autoescaped) with one small script of our own; the JSON API under ``/api``
is described by OpenAPI at ``/api/openapi.json`` and on the page ``/api``.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from html import escape as html_escape
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from spacy.language import Language
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kratom_nlp import __version__
from kratom_nlp.errors import EXIT_CODES
from kratom_nlp.ingest import DEFAULT_MAX_BYTES, Document, InputError, TooLargeError
from kratom_nlp.ingest.errors import EncodingInputError
from kratom_nlp.serve import render
from kratom_nlp.serve.export import claims_csv, import_problems, labelstudio_tasks
from kratom_nlp.serve.review import (
    ClaimNotFound,
    ReviewError,
    ReviewInput,
    needs_cue,
    resolve_review,
    review_counts,
    reviewed_analysis,
)
from kratom_nlp.serve.runner import (
    Analyzer,
    Busy,
    document_from_text,
    document_from_upload,
)
from kratom_nlp.serve.store import ArticleRow, Review, Store
from kratom_nlp.taxonomy import EVIDENCE_LEVELS, STRENGTHS

log = logging.getLogger("kratom_nlp.serve")

HERE = Path(__file__).parent
LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1", "[::1]")
DEFAULT_DB = Path("kratom-nlp-desk.sqlite3")
FORM_OVERHEAD = 64 * 1024
"""Bytes allowed on top of ``max_bytes`` in a request (form fields, multipart boundaries)."""

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)

# Input errors (exit codes 10-19) -> HTTP status.
INPUT_STATUS: dict[int, int] = {12: 422, 13: 415, 14: 422, 15: 413, 16: 415, 17: 422}

__all__ = ["CSP", "DEFAULT_DB", "ServeSettings", "create_app", "default_reviewer"]


def default_reviewer() -> str:
    try:
        return getpass.getuser() or "reviewer"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "reviewer"


@dataclass
class ServeSettings:
    """How the desk runs (``kratom-nlp serve`` options)."""

    db: Path = DEFAULT_DB
    max_bytes: int = DEFAULT_MAX_BYTES
    workers: int = 2
    max_queue: int = 16
    reviewer: str = field(default_factory=default_reviewer)
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS
    """Host headers accepted (DNS-rebinding protection); ``None`` accepts any (another host
    bound)."""
    config: Path | None = None


# --------------------------------------------------------------------------- errors

def _slug(text: str) -> str:
    return "_".join(text.lower().split())


class BodyTooLarge(HTTPException):
    """The request body passed the size cap while it was being read."""

    def __init__(self, limit: int, max_bytes: int) -> None:
        err = TooLargeError("<request>", limit=max_bytes)
        super().__init__(413, f"{err.source}: {err.message}")
        self.limit = limit


class Problem(Exception):
    """An error answered as ``{"error": {...}}`` (JSON) or an error page (HTML)."""

    def __init__(self, status: int, code: str, message: str, *, hint: str | None = None,
                 exit_code: int | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.hint, self.exit_code, self.headers = hint, exit_code, headers

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"status": self.status, "code": self.code,
                                 "message": self.message}
        if self.hint:
            error["hint"] = self.hint
        if self.exit_code is not None:
            error["exit_code"] = self.exit_code
        return {"error": error}

    @classmethod
    def from_input_error(cls, exc: InputError) -> Problem:
        """The ``analyze`` error as an HTTP 4xx: ``message`` and ``hint`` are the two halves of
        the line ``analyze`` prints (``<message> (hint: <hint>)``)."""
        code = int(exc.exit_code)
        hint = exc.hint
        if isinstance(exc, EncodingInputError) and hint and "--encoding" in hint:
            hint = ("choose the text's real encoding (e.g. latin-1 or cp1252) in the form's "
                    "encoding field, or send \"encoding\" with the file")
        message = f"{exc.source}: {' '.join(exc.message.split())}"
        return cls(INPUT_STATUS.get(code, 400), _slug(EXIT_CODES.get(code, "unreadable input")),
                   message, hint=hint, exit_code=code)


def _wants_json(request: Request) -> bool:
    """API routes answer errors in JSON; pages with an error page."""
    return request.url.path.startswith("/api/")


# --------------------------------------------------------------------------- ASGI middleware

class SecurityHeaders:
    """Adds the CSP and the other protective headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SameOrigin:
    """Refuses a request that changes something (POST, PUT, PATCH, DELETE) when a browser says
    it comes from another site (CSRF): ``Sec-Fetch-Site`` other than ``same-origin``/``none``,
    or an ``Origin`` whose host is not the ``Host`` asked for. Clients that are not browsers
    (curl, scripts) send neither header and pass."""

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in self.UNSAFE:
            headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            site = headers.get(b"sec-fetch-site")
            origin = headers.get(b"origin")
            cross = site is not None and site not in ("same-origin", "none")
            if origin is not None and origin != "null":
                try:
                    cross = cross or urlsplit(origin).netloc != headers.get(b"host", "")
                except ValueError:
                    cross = True
            if cross:
                problem = Problem(403, "cross_site", "a page of another site cannot change "
                                                     "anything on the desk")
                response = JSONResponse(problem.body(), status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Caps request bodies before they are read: a ``Content-Length`` over the cap is refused at
    once (413), a streamed body is counted as it arrives. The cap is ``max_bytes`` plus
    :data:`FORM_OVERHEAD`, three times that for URL-encoded forms and six times for JSON (whose
    escapes can take six bytes per character); the article itself is then checked against
    ``max_bytes`` exactly, as ``analyze`` checks a file."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def limit(self, content_type: str) -> int:
        base = self.max_bytes + FORM_OVERHEAD
        if "json" in content_type:
            return 6 * base
        if "x-www-form-urlencoded" in content_type:
            return 3 * base
        return base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        limit = self.limit(headers.get(b"content-type", b"").decode("latin-1").lower())
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            problem = Problem.from_input_error(
                TooLargeError("<request>", limit=self.max_bytes, size=int(declared)))
            response: Response
            if str(scope.get("path", "")).startswith("/api/"):
                response = JSONResponse(problem.body(), status_code=413)
            else:  # a page's form: a short page saying so, with a way back
                response = HTMLResponse(
                    "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Too large"
                    f"</title><p>{html_escape(problem.message)}</p><p><a href=\"/\">Back</a>"
                    "</p></html>", status_code=413)
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, self.max_bytes)
            return message

        await self.app(scope, counted, send)


# --------------------------------------------------------------------------- API models

EvidenceLevel = StrEnum("EvidenceLevel", {v: v for v in EVIDENCE_LEVELS})  # type: ignore[misc]
Strength = StrEnum("Strength", {v: v for v in STRENGTHS})  # type: ignore[misc]


class AnalyseRequest(BaseModel):
    """An article to analyse, as text."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="The article: plain text, Markdown or HTML.")
    source: str | None = Field(None, max_length=2000,
                               description="Where it comes from (a URL or a name); an http(s) "
                                           "URL becomes the ClaimReview's url.")
    format: Literal["auto", "text", "markdown", "html"] = Field(
        "auto", description="How to read the text; auto recognises an HTML page.")


class ArticleInfo(BaseModel):
    id: str
    url: str
    source: str
    title: str | None
    created_at: str
    model_version: str
    schema_version: str
    claims: int
    overclaims: int
    support_score: float
    verdict: str
    reviewed_claims: int
    complete: bool
    reviewed_support_score: float | None = None
    reviewed_overclaims: int | None = None
    reviewed_verdict: str | None = None
    last_review_at: str | None = None


class AnalysisResponse(BaseModel):
    article: ArticleInfo
    created: bool = Field(description="False when an identical analysis was already stored.")
    analysis: dict[str, Any] = Field(description="The analysis contract, exactly as "
                                                 "`kratom-nlp analyze -f json` writes it.")


class ArticleList(BaseModel):
    total: int
    articles: list[ArticleInfo]


class ReviewRequest(BaseModel):
    """A review of one claim. Omitted corrections leave the pipeline's values."""

    model_config = ConfigDict(extra="forbid")
    claim_id: str = Field(max_length=64, description="The claim's id in the analysis (c1, ...).")
    status: Literal["accepted", "rejected"] = Field(
        "accepted", description="accepted: it is a claim; rejected: not a claim.")
    evidence: EvidenceLevel | None = None  # type: ignore[valid-type]
    strength: Strength | None = None  # type: ignore[valid-type]
    overclaim: bool | None = None
    cue: str | None = Field(None, max_length=500,
                            description="Words in the claim (or the sentence before it) that "
                                        "show the evidence level; needed when a level is set "
                                        "on a claim without a cue.")
    note: str | None = Field(None, max_length=4000)
    reviewer: str | None = Field(None, max_length=200)


class ReviewOut(BaseModel):
    article_id: str
    claim_id: str
    claim_start: int
    claim_end: int
    status: str
    reviewer: str
    evidence: str | None
    strength: str | None
    overclaim: bool | None
    cues: list[dict[str, Any]] | None
    note: str | None
    created_at: str
    updated_at: str


class ReviewSaved(BaseModel):
    review: ReviewOut
    claim: dict[str, Any] = Field(description="The claim as reviewed (with its review block).")
    progress: dict[str, Any]


class ReviewList(BaseModel):
    article_id: str
    reviews: list[ReviewOut]
    progress: dict[str, Any]
    refused: dict[str, str] = Field(
        default_factory=dict, description="Claims that could not be accepted as labelled (an "
                                          "evidence level without a cue), with the reason.")


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    hint: str | None = None
    exit_code: int | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (404, 413, 415, 422, 503)}


# --------------------------------------------------------------------------- the desk

@dataclass
class Desk:
    """What the routes share: settings, the store, the analyzer, the templates."""

    settings: ServeSettings
    store: Store
    templates: Jinja2Templates
    analyzer: Analyzer | None = None
    model_version: str = ""

    def require_analyzer(self) -> Analyzer:
        if self.analyzer is None:
            raise Problem(503, "starting", "the pipeline is still loading; try again shortly",
                          headers={"Retry-After": "2"})
        return self.analyzer

    def article(self, article_id: str) -> ArticleRow:
        row = self.store.get_article(article_id) if len(article_id) <= 64 else None
        if row is None:
            raise Problem(404, "not_found", f"no article {article_id!r} on this desk")
        return row

    def info(self, row: ArticleRow, reviews: dict[str, Review] | None = None) -> ArticleInfo:
        reviews = self.store.reviews(row.id) if reviews is None else reviews
        data: dict[str, Any] = {
            "id": row.id, "url": f"/articles/{row.id}", "source": row.source, "title": row.title,
            "created_at": row.created_at, "model_version": row.model_version,
            "schema_version": row.schema_version, "claims": row.claims,
            "overclaims": row.overclaims, "support_score": row.support_score,
            "verdict": row.verdict, "reviewed_claims": len(reviews),
            "complete": bool(row.claims) and len(reviews) >= row.claims,
            "last_review_at": max((r.updated_at for r in reviews.values()), default=None),
        }
        if reviews:
            summary = reviewed_analysis(row.analysis, reviews)["summary"]
            data.update(reviewed_support_score=summary.get("support_score"),
                        reviewed_overclaims=summary.get("overclaims"),
                        reviewed_verdict=summary.get("verdict"))
        return ArticleInfo(**data)


def _desk(request: Request) -> Desk:
    return request.app.state.desk  # type: ignore[no-any-return]


def _review_out(review: Review) -> ReviewOut:
    return ReviewOut(**review.to_dict())


def _progress(analysis: dict[str, Any], reviews: dict[str, Review]) -> dict[str, Any]:
    view = reviewed_analysis(analysis, reviews, keep_rejected=True)
    return view["review"]


def _http_url(source: str) -> str | None:
    """``source`` when it is an absolute http(s) URL with a host (no spaces or control
    characters): the only kind the page links to and ClaimReview publishes."""
    if not source or any(ch.isspace() or not ch.isprintable() for ch in source):
        return None
    try:
        parts = urlsplit(source)
        host = parts.hostname
    except ValueError:
        return None
    return source if parts.scheme.lower() in ("http", "https") and host else None


def _filename(article: ArticleRow, suffix: str) -> str:
    return f"kratom-{article.id}{suffix}"


# --------------------------------------------------------------------------- the app

def create_app(settings: ServeSettings | None = None, *, nlp: Language | None = None) -> FastAPI:
    """The desk's ASGI app. ``nlp`` (the pipeline) is loaded once at startup when not given;
    the database in ``settings.db`` is created or migrated now."""
    settings = settings or ServeSettings()
    store = Store(settings.db)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(version=__version__, level_label=render.level_label,
                                 human=render.human, level_key=render.level_key,
                                 LEVEL_OPTIONS=render.LEVEL_OPTIONS,
                                 STRENGTH_OPTIONS=render.STRENGTH_OPTIONS,
                                 LEVEL_DESCRIPTIONS=render.LEVEL_DESCRIPTIONS,
                                 verdict_class=render.verdict_class)
    desk = Desk(settings, store, templates)

    def attach(pipeline: Language, owned: bool = False) -> None:
        from kratom_nlp.annotate.predict import model_version

        desk.model_version = model_version(pipeline)
        # memory zones only on a pipeline the desk loaded itself: a Doc that other code makes
        # from a pipeline it passed in must not lose its words when the desk goes idle
        desk.analyzer = Analyzer(pipeline, workers=settings.workers,
                                 max_queue=settings.max_queue, zones=owned)

    if nlp is not None:
        attach(nlp)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if desk.analyzer is None:
            if nlp is None:
                from kratom_nlp.api import load

                attach(await asyncio.to_thread(load, settings.config), owned=True)
            else:
                attach(nlp)
        try:
            yield
        finally:
            if desk.analyzer is not None:
                desk.analyzer.close()
                desk.analyzer = None

    app = FastAPI(
        title="kratom_nlp fact-checkers' desk",
        version=__version__,
        description="Analyse an article's health claims, review them claim by claim, and "
                    "export the reviews for `kratom-nlp annotate import`. Errors are "
                    "`{\"error\": {status, code, message, hint, exit_code}}`; `exit_code` is "
                    "the one `kratom-nlp analyze` exits with for the same input.",
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan,
    )
    app.state.desk = desk
    app.add_middleware(BodyLimit, max_bytes=settings.max_bytes)
    app.add_middleware(SameOrigin)
    if settings.allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _install_error_handlers(app)
    _install_api(app)
    _install_pages(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    def answer(request: Request, problem: Problem) -> Response:
        headers = dict(problem.headers or {})
        if _wants_json(request):
            return JSONResponse(problem.body(), status_code=problem.status, headers=headers)
        desk = _desk(request)
        return desk.templates.TemplateResponse(
            request, "error.html", {"problem": problem}, status_code=problem.status,
            headers=headers)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return answer(request, exc)

    async def on_input(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InputError)
        return answer(request, Problem.from_input_error(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if isinstance(exc, BodyTooLarge):
            problem = Problem(413, "too_large", str(exc.detail), exit_code=15,
                              hint=f"the server's limit is {_desk(request).settings.max_bytes:,} "
                                   "bytes (kratom-nlp serve --max-bytes)")
        else:
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
            message = str(exc.detail) if exc.status_code != 404 else \
                f"nothing at {request.url.path}"
            problem = Problem(exc.status_code, code, message,
                              headers=dict(exc.headers or {}))
        return answer(request, problem)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for error in exc.errors()[:10]:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        return answer(request, Problem(422, "invalid_request", "; ".join(parts) or "invalid"))

    async def on_busy(request: Request, exc: Exception) -> Response:
        return answer(request, Problem(503, "busy", str(exc), headers={"Retry-After": "1"}))

    async def on_review(request: Request, exc: Exception) -> Response:
        return answer(request, Problem(422, "invalid_review", str(exc)))

    async def on_claim(request: Request, exc: Exception) -> Response:
        return answer(request, Problem(404, "not_found", str(exc.args[0] if exc.args else exc)))

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        problem = Problem(500, "internal", "internal error; the server log has the details")
        response = JSONResponse(problem.body(), status_code=500)
        for key, value in SECURITY_HEADERS:
            response.headers[key.decode()] = value.decode()
        return response

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(InputError, on_input)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Busy, on_busy)
    app.add_exception_handler(ReviewError, on_review)
    app.add_exception_handler(ClaimNotFound, on_claim)
    app.add_exception_handler(Exception, on_crash)


# --------------------------------------------------------------------------- shared actions

async def _analyse(desk: Desk, make_document: Callable[[], Document]) -> tuple[ArticleRow, bool]:
    """Read and analyse on a worker thread; store the analysis."""
    from kratom_nlp.api import analyze_document

    analyzer = desk.require_analyzer()

    def work() -> tuple[Document, dict[str, Any]]:
        document = make_document()
        return document, analyze_document(document, analyzer.nlp)

    document, analysis = await analyzer.run(work)
    return await asyncio.to_thread(desk.store.add_analysis, analysis,
                                   media_type=document.media_type, title=document.title,
                                   model_version=desk.model_version)


def _save_review(desk: Desk, article: ArticleRow, data: ReviewInput) -> Review:
    review = resolve_review(article.analysis, article.id, data,
                            default_reviewer=desk.settings.reviewer)
    return desk.store.save_reviews([review])[0]


def _accept_unreviewed(desk: Desk, article: ArticleRow, reviewer: str | None
                       ) -> dict[str, str]:
    """Accept every unreviewed claim as labelled; the claims that cannot be (an evidence level
    without a cue), with the reason."""
    reviews = desk.store.reviews(article.id)
    todo: list[Review] = []
    refused: dict[str, str] = {}
    for claim in article.analysis["claims"]:
        if claim["id"] in reviews:
            continue
        try:
            todo.append(resolve_review(article.analysis, article.id,
                                       ReviewInput(claim_id=claim["id"], reviewer=reviewer),
                                       default_reviewer=desk.settings.reviewer))
        except ReviewError as exc:
            refused[claim["id"]] = str(exc)
    desk.store.save_reviews(todo)
    return refused


def _view(article: ArticleRow, view: str, reviews: dict[str, Review]) -> dict[str, Any]:
    return article.analysis if view == "model" else reviewed_analysis(article.analysis, reviews)


def _export(desk: Desk) -> tuple[list[dict[str, Any]], list[str]]:
    """Tasks of the completely reviewed articles, each checked with ``annotate import``'s own
    reader; ``(tasks, desk ids of articles left out)`` - none, unless a review predates a rule."""
    items = []
    for article_id in desk.store.reviewed_article_ids():
        article = desk.store.get_article(article_id)
        if article is not None:
            items.append((article, desk.store.reviews(article_id)))
    tasks, skipped = [], []
    for task in labelstudio_tasks(items):
        problems = import_problems(task)
        if problems:
            article_id = task["data"]["meta"]["review"]["desk_article"]
            log.warning("export: article %s left out: %s", article_id, "; ".join(problems))
            skipped.append(article_id)
            continue
        task["id"] = len(tasks) + 1
        tasks.append(task)
    return tasks, skipped


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


# --------------------------------------------------------------------------- JSON API

View = Annotated[Literal["reviewed", "model"], Query(
    description="reviewed: corrections applied, rejected claims left out, summary recomputed; "
                "model: the pipeline's analysis as stored.")]
Download = Annotated[bool, Query(description="Send as a file (Content-Disposition).")]


def _install_api(app: FastAPI) -> None:  # noqa: C901 - one function per route, kept together

    @app.get("/api/health", tags=["service"], summary="Is the desk ready?")
    def health(request: Request) -> dict[str, Any]:
        desk = _desk(request)
        analyzer = desk.analyzer
        return {"status": "ok" if analyzer else "starting", "version": __version__,
                "model_version": desk.model_version, "schema": desk.store.version,
                "workers": desk.settings.workers, "max_queue": desk.settings.max_queue,
                "in_flight": analyzer.in_flight if analyzer else 0,
                "max_bytes": desk.settings.max_bytes}

    @app.post("/api/analyses", tags=["analyses"], status_code=201, responses=ERRORS,
              summary="Analyse an article given as text")
    async def analyse_text(request: Request, body: AnalyseRequest) -> AnalysisResponse:
        desk = _desk(request)
        source = (body.source or "").strip() or "<text>"
        article, created = await _analyse(desk, lambda: document_from_text(
            body.text, source=source, fmt=body.format, max_bytes=desk.settings.max_bytes))
        return AnalysisResponse(article=desk.info(article), created=created,
                                analysis=article.analysis)

    @app.post("/api/analyses/file", tags=["analyses"], status_code=201, responses=ERRORS,
              summary="Analyse an uploaded article file (.txt, .md, .html)")
    async def analyse_file(request: Request, file: Annotated[UploadFile, File()],
                           encoding: Annotated[str, Form(max_length=40)] = "utf-8"
                           ) -> AnalysisResponse:
        desk = _desk(request)
        data = await file.read()  # bounded: the whole request is capped by BodyLimit
        article, created = await _analyse(desk, lambda: document_from_upload(
            data, file.filename, max_bytes=desk.settings.max_bytes, encoding=encoding))
        return AnalysisResponse(article=desk.info(article), created=created,
                                analysis=article.analysis)

    @app.get("/api/articles", tags=["articles"], summary="Articles on the desk, with scores")
    def list_articles(request: Request, reviewed: bool = False,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      offset: Annotated[int, Query(ge=0)] = 0) -> ArticleList:
        desk = _desk(request)
        rows, total = desk.store.list_articles(reviewed_only=reviewed, limit=limit,
                                               offset=offset)
        return ArticleList(total=total, articles=[desk.info(r) for r in rows])

    @app.get("/api/articles/{article_id}", tags=["articles"], responses=ERRORS,
             summary="A stored article: its analysis and reviews")
    def get_article(request: Request, article_id: str, view: View = "reviewed"
                    ) -> dict[str, Any]:
        desk = _desk(request)
        article = desk.article(article_id)
        reviews = desk.store.reviews(article.id)
        return {"article": desk.info(article, reviews).model_dump(),
                "analysis": _view(article, view, reviews),
                "reviews": [r.to_dict() for r in reviews.values()]}

    @app.get("/api/articles/{article_id}/analysis", tags=["downloads"], responses=ERRORS,
             summary="The analysis contract (JSON)")
    def get_analysis(request: Request, article_id: str, view: View = "reviewed",
                     download: Download = False) -> Response:
        desk = _desk(request)
        article = desk.article(article_id)
        body = _view(article, view, desk.store.reviews(article.id))
        headers = _attachment(_filename(article, f"-{view}.json")) if download else {}
        return Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n",
                        media_type="application/json", headers=headers)

    @app.get("/api/articles/{article_id}/claimreview", tags=["downloads"], responses=ERRORS,
             summary="schema.org ClaimReview JSON-LD, one per claim")
    def get_claimreview(request: Request, article_id: str, view: View = "reviewed",
                        download: Download = False) -> Response:
        from kratom_nlp.outputs.claimreview import render_claimreview

        desk = _desk(request)
        article = desk.article(article_id)
        analysis = dict(_view(article, view, desk.store.reviews(article.id)))
        url = _http_url(article.source)
        if url is None:  # a file name is no address for the claim's appearance
            analysis["source"] = ""
        headers = _attachment(_filename(article, f"-{view}.claimreview.jsonld")) \
            if download else {}
        return Response(render_claimreview(analysis, url=url) + "\n",
                        media_type="application/ld+json", headers=headers)

    @app.get("/api/articles/{article_id}/claims.csv", tags=["downloads"], responses=ERRORS,
             summary="The claims as CSV (spreadsheet formulas neutralised)")
    def get_csv(request: Request, article_id: str, view: View = "reviewed",
                download: Download = True) -> Response:
        desk = _desk(request)
        article = desk.article(article_id)
        reviews = desk.store.reviews(article.id) if view == "reviewed" else {}
        claims = reviewed_analysis(article.analysis, reviews, keep_rejected=True)["claims"]
        headers = _attachment(_filename(article, f"-{view}-claims.csv")) if download else {}
        return Response("\ufeff" + claims_csv(article.id, claims),
                        media_type="text/csv; charset=utf-8", headers=headers)

    @app.get("/api/articles/{article_id}/reviews", tags=["reviews"], responses=ERRORS,
             summary="The reviews of an article's claims")
    def get_reviews(request: Request, article_id: str) -> ReviewList:
        desk = _desk(request)
        article = desk.article(article_id)
        reviews = desk.store.reviews(article.id)
        return ReviewList(article_id=article.id,
                          reviews=[_review_out(r) for r in reviews.values()],
                          progress=_progress(article.analysis, reviews))

    @app.post("/api/articles/{article_id}/reviews", tags=["reviews"], responses=ERRORS,
              summary="Review one claim (replaces its earlier review)")
    def post_review(request: Request, article_id: str, body: ReviewRequest) -> ReviewSaved:
        desk = _desk(request)
        article = desk.article(article_id)
        saved = _save_review(desk, article, ReviewInput(
            claim_id=body.claim_id, status=body.status,
            evidence=body.evidence.value if body.evidence else None,
            strength=body.strength.value if body.strength else None,
            overclaim=body.overclaim, note=body.note, cue=body.cue, reviewer=body.reviewer))
        reviews = desk.store.reviews(article.id)
        view = reviewed_analysis(article.analysis, reviews, keep_rejected=True)
        claim = next(c for c in view["claims"] if c["id"] == saved.claim_id)
        return ReviewSaved(review=_review_out(saved), claim=claim, progress=view["review"])

    @app.delete("/api/articles/{article_id}/reviews/{claim_id}", tags=["reviews"],
                responses=ERRORS, status_code=204, summary="Withdraw a claim's review")
    def delete_review(request: Request, article_id: str, claim_id: str) -> Response:
        desk = _desk(request)
        article = desk.article(article_id)
        if not desk.store.clear_review(article.id, claim_id):
            raise Problem(404, "not_found", f"claim {claim_id!r} has no review")
        return Response(status_code=204)

    @app.post("/api/articles/{article_id}/reviews/accept-unreviewed", tags=["reviews"],
              responses=ERRORS, summary="Accept every claim not reviewed yet, as labelled")
    def accept_unreviewed(request: Request, article_id: str,
                          reviewer: str | None = None) -> ReviewList:
        desk = _desk(request)
        article = desk.article(article_id)
        refused = _accept_unreviewed(desk, article, reviewer)
        reviews = desk.store.reviews(article.id)
        return ReviewList(article_id=article.id,
                          reviews=[_review_out(r) for r in reviews.values()],
                          progress=_progress(article.analysis, reviews), refused=refused)

    @app.get("/api/articles/{article_id}/review-log", tags=["reviews"], responses=ERRORS,
             summary="Every review change of an article, oldest first")
    def review_log(request: Request, article_id: str) -> list[dict[str, Any]]:
        desk = _desk(request)
        return desk.store.review_log(desk.article(article_id).id)

    @app.get("/api/export", tags=["export"], summary="Reviews as Label Studio JSON tasks "
             "for `kratom-nlp annotate import`")
    def export(request: Request, download: Download = False) -> Response:
        """Every article whose claims are all reviewed, as one Label Studio task each (the
        reviewed claims as the annotation, the pipeline's as the prediction). The header
        ``X-Kratom-Left-Out`` lists articles the importer would refuse (normally none)."""
        tasks, skipped = _export(_desk(request))
        headers = _attachment("kratom-desk-reviews.json") if download else {}
        if skipped:
            headers["X-Kratom-Left-Out"] = ",".join(skipped)
        return Response(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n",
                        media_type="application/json", headers=headers)


# --------------------------------------------------------------------------- pages

async def _form(request: Request, max_bytes: int) -> dict[str, Any]:
    try:
        form = await request.form(max_files=2, max_fields=20,
                                  max_part_size=max_bytes + FORM_OVERHEAD)
    except HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed form is the client's error
        raise Problem(400, "bad_form", f"the form could not be read ({exc})") from None
    return dict(form)


def _install_pages(app: FastAPI) -> None:  # noqa: C901 - one function per page
    page = HTMLResponse

    def render_page(request: Request, name: str, context: dict[str, Any],
                    status: int = 200) -> Response:
        return _desk(request).templates.TemplateResponse(request, name, context,
                                                         status_code=status)

    @app.get("/assets/levels.css", include_in_schema=False)
    def levels_css() -> Response:
        return Response(render.levels_css(), media_type="text/css",
                        headers={"Cache-Control": "max-age=3600"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=308)

    def index_context(request: Request, **extra: Any) -> dict[str, Any]:
        desk = _desk(request)
        rows, total = desk.store.list_articles(limit=5)
        return {"recent": [desk.info(r) for r in rows], "total": total,
                "max_bytes": desk.settings.max_bytes, "text": "", "source": "",
                "fmt": "auto", "encoding": "utf-8", **extra}

    @app.get("/", response_class=page, include_in_schema=False)
    def index(request: Request) -> Response:
        return render_page(request, "index.html", index_context(request))

    @app.post("/analyse", response_class=page, include_in_schema=False)
    async def analyse_form(request: Request) -> Response:
        desk = _desk(request)
        form = await _form(request, desk.settings.max_bytes)
        text = form.get("text") if isinstance(form.get("text"), str) else ""
        source = str(form.get("source") or "").strip()[:2000]
        fmt = str(form.get("format") or "auto")
        encoding = str(form.get("encoding") or "utf-8").strip()[:40] or "utf-8"
        upload = form.get("file")
        has_file = isinstance(upload, StarletteUpload) and bool(upload.filename)
        context = {"text": text, "source": source, "fmt": fmt, "encoding": encoding}
        try:
            if fmt not in ("auto", "text", "markdown", "html"):
                raise Problem(422, "invalid_request", f"unknown format {fmt!r}")
            if has_file and text.strip():
                raise Problem(422, "invalid_request", "paste the text or upload a file, "
                                                      "not both")
            if has_file:
                assert isinstance(upload, StarletteUpload)
                data = await upload.read()  # bounded by BodyLimit
                filename = upload.filename
                article, _ = await _analyse(desk, lambda: document_from_upload(
                    data, filename, max_bytes=desk.settings.max_bytes, encoding=encoding))
            else:
                article, _ = await _analyse(desk, lambda: document_from_text(
                    text, source=source or "<pasted text>", fmt=fmt,
                    max_bytes=desk.settings.max_bytes))
        except (InputError, Problem, Busy) as exc:
            if isinstance(exc, InputError):
                problem = Problem.from_input_error(exc)
            elif isinstance(exc, Busy):
                problem = Problem(503, "busy", str(exc))
            else:
                problem = exc
            return render_page(request, "index.html",
                               index_context(request, problem=problem, **context),
                               status=problem.status)
        return RedirectResponse(f"/articles/{article.id}", status_code=303)

    @app.get("/articles", response_class=page, include_in_schema=False)
    def articles(request: Request, show: Literal["reviewed", "all"] = "reviewed",
                 page_no: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1
                 ) -> Response:
        desk = _desk(request)
        per_page = 50
        rows, total = desk.store.list_articles(reviewed_only=show == "reviewed",
                                               limit=per_page, offset=(page_no - 1) * per_page)
        return render_page(request, "articles.html", {
            "articles": [desk.info(r) for r in rows], "total": total, "show": show,
            "page": page_no, "pages": max(1, math.ceil(total / per_page))})

    def article_page(request: Request, article: ArticleRow, *, status: int = 200,
                     errors: dict[str, str] | None = None,
                     filters: dict[str, str] | None = None,
                     saved: str | None = None) -> Response:
        desk = _desk(request)
        reviews = desk.store.reviews(article.id)
        reviewed = reviewed_analysis(article.analysis, reviews, keep_rejected=True)
        claims = reviewed["claims"]
        kept = [c for c in claims if c["review"]["status"] != "rejected"]
        summary = reviewed["summary"]
        filters = filters or {}
        return render_page(request, "article.html", {
            "article": article, "info": desk.info(article, reviews),
            "analysis": article.analysis, "claims": claims, "kept": kept,
            "summary": summary, "model_summary": article.analysis.get("summary") or {},
            "mix": render.mix_segments(summary),
            "highlighted": render.highlight(article.analysis, claims),
            "studies": render.studies_view(article.analysis, claims),
            "progress": review_counts(claims), "reviews": reviews,
            "errors": errors or {}, "filters": filters, "saved": saved,
            "source_url": _http_url(article.source),
            "visible": {c["id"]: _matches(c, filters) for c in claims},
            "custom_cues": _custom_cues(article.analysis, reviews),
            "needs_cue": [c["id"] for c in claims
                          if c["review"]["status"] == "unreviewed" and needs_cue(c)],
        }, status=status)

    @app.get("/articles/{article_id}", response_class=page, include_in_schema=False)
    def article_view(request: Request, article_id: str, evidence: str = "", strength: str = "",
                     overclaim: str = "", status: str = "", saved: str = "") -> Response:
        desk = _desk(request)
        filters = {"evidence": evidence, "strength": strength, "overclaim": overclaim,
                   "status": status}
        return article_page(request, desk.article(article_id),
                            filters={k: v[:40] for k, v in filters.items() if v},
                            saved=saved[:64] or None)

    def back(article_id: str, claim_id: str | None = None, **query: str) -> RedirectResponse:
        q = f"?{urlencode(query)}" if query else ""
        anchor = f"#claim-{claim_id}" if claim_id else ""
        return RedirectResponse(f"/articles/{article_id}{q}{anchor}", status_code=303)

    @app.post("/articles/{article_id}/claims/{claim_id}/review", response_class=page,
              include_in_schema=False)
    async def review_form(request: Request, article_id: str, claim_id: str) -> Response:
        desk = _desk(request)
        article = desk.article(article_id)
        form = await _form(request, desk.settings.max_bytes)

        def field_(name: str) -> str | None:
            value = form.get(name)
            return value.strip() or None if isinstance(value, str) else None

        overclaim = field_("overclaim")
        data = ReviewInput(claim_id=claim_id, status=field_("status") or "accepted",
                           evidence=field_("evidence"), strength=field_("strength"),
                           overclaim=None if overclaim is None else overclaim == "yes",
                           note=field_("note"), cue=field_("cue"))
        try:
            await asyncio.to_thread(_save_review, desk, article, data)
        except ReviewError as exc:
            return article_page(request, article, status=422, errors={claim_id: str(exc)})
        return back(article.id, claim_id, saved=claim_id)

    @app.post("/articles/{article_id}/claims/{claim_id}/review/clear", response_class=page,
              include_in_schema=False)
    def clear_form(request: Request, article_id: str, claim_id: str) -> Response:
        desk = _desk(request)
        article = desk.article(article_id)
        desk.store.clear_review(article.id, claim_id)
        return back(article.id, claim_id)

    @app.post("/articles/{article_id}/accept-unreviewed", response_class=page,
              include_in_schema=False)
    def accept_form(request: Request, article_id: str) -> Response:
        desk = _desk(request)
        article = desk.article(article_id)
        refused = _accept_unreviewed(desk, article, None)
        if refused:
            return article_page(request, article, status=200, errors=refused)
        return back(article.id)

    @app.get("/api", response_class=page, include_in_schema=False)
    def api_page(request: Request) -> Response:
        spec = request.app.openapi()
        routes = []
        for path, methods in spec.get("paths", {}).items():
            for method, op in methods.items():
                body = ((op.get("requestBody") or {}).get("content") or {})
                routes.append({"method": method.upper(), "path": path,
                               "summary": op.get("summary", ""), "tag": (op.get("tags") or
                                                                         [""])[0],
                               "params": [p["name"] for p in op.get("parameters", [])
                                          if p.get("in") == "query"],
                               "body": ", ".join(body)})
        return render_page(request, "api.html", {"routes": routes, "spec": spec})


def _custom_cues(analysis: dict[str, Any], reviews: dict[str, Review]) -> dict[str, str]:
    """The cue a reviewer named for a claim (not the pipeline's words relabelled), by claim id:
    what the review form shows in its cue field."""
    out: dict[str, str] = {}
    for claim in analysis.get("claims") or []:
        review = reviews.get(claim["id"])
        if review is None or not review.cues:
            continue
        model = {(c["start"], c["end"]) for c in (claim.get("evidence") or {}).get("cues") or []}
        if {(c["start"], c["end"]) for c in review.cues} != model:
            out[claim["id"]] = "; ".join(str(c["text"]) for c in review.cues)
    return out


def _matches(claim: dict[str, Any], filters: dict[str, str]) -> bool:
    """Does an (effective) claim pass the claims table's filters?"""
    evidence = (claim.get("evidence") or {}).get("level")
    flag = "yes" if (claim.get("overclaim") or {}).get("flag") else "no"
    status = (claim.get("review") or {}).get("status", "unreviewed")
    return ((not filters.get("evidence") or filters["evidence"] == evidence)
            and (not filters.get("strength") or filters["strength"] == claim.get("strength"))
            and (not filters.get("overclaim") or filters["overclaim"] == flag)
            and (not filters.get("status") or filters["status"] == status))


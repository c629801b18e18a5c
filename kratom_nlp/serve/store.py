"""The review desk's database: SQLite, with numbered schema migrations.

Migrations are the files ``migrations/NNNN_name.sql`` of this package, applied in order, each in
its own ``BEGIN IMMEDIATE`` transaction together with ``PRAGMA user_version = NNNN`` and a row in
``schema_migrations``; a database is migrated when the store opens it. A database whose version
is newer than the newest migration this build knows is refused (an older kratom_nlp must not
write to it). Every call opens its own connection (WAL journal, foreign keys on, a 10 s busy
timeout), so the store can be used from any thread.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kratom_nlp.errors import OutputError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

__all__ = [
    "MIGRATIONS_DIR", "ArticleRow", "Migration", "Review", "Store", "StoreError",
    "load_migrations", "migrate", "now", "text_digest",
]


class StoreError(OutputError):
    """The database cannot be opened, migrated or written (exit code 22, like an output)."""


def now() -> str:
    """The current UTC time as ISO 8601 with a ``Z`` (millisecond precision)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- migrations

@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()[:16]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in ``directory`` (``NNNN_name.sql``), by version; versions 1, 2, 3, ..."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise StoreError(f"{path}: a migration is named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2),
                               path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, 1):
        if migration.version != expected:
            raise StoreError(f"migration {migration.version:04d}_{migration.name} is out of "
                             f"sequence (expected {expected:04d})")
    return found


def _statements(sql: str) -> Iterator[str]:
    """The complete statements of a script (``sqlite3.complete_statement`` decides)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not all(
            ln.strip().startswith("--") or not ln.strip() for ln in buffer.splitlines()):
        raise StoreError(f"incomplete SQL statement at the end of a migration: {buffer[:60]!r}")


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: list[Migration]) -> list[int]:
    """Apply the migrations ``conn``'s database lacks; returns the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Each migration runs in one
    ``BEGIN IMMEDIATE`` transaction (rolled back whole on an error), and the version is read
    again inside it, so two processes opening one new database migrate it once.
    """
    latest = migrations[-1].version if migrations else 0
    current = _user_version(conn)
    if current > latest:
        raise StoreError(f"the database schema is version {current}, newer than this kratom_nlp "
                         f"knows ({latest}); use a newer kratom_nlp or another --db")
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if _user_version(conn) >= migration.version:  # another process was quicker
                conn.execute("ROLLBACK")
                current = _user_version(conn)
                continue
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                         "PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
                         "applied_at TEXT NOT NULL)")
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                         (migration.version, migration.name, migration.checksum, now()))
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StoreError(f"migration {migration.version:04d}_{migration.name} failed "
                             f"({exc}); the database was left at version {current}") from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
        current = migration.version
    return applied


# --------------------------------------------------------------------------- rows

@dataclass
class ArticleRow:
    """One analysed article as stored (``analysis`` is the analysis contract dict)."""

    id: str
    created_at: str
    updated_at: str
    source: str
    title: str | None
    media_type: str
    text_sha256: str
    schema_version: str
    model_version: str
    analysis: dict[str, Any]
    claims: int
    overclaims: int
    support_score: float
    verdict: str
    reviewed_claims: int = 0
    last_review_at: str | None = None


@dataclass
class Review:
    """A person's review of one claim. ``None`` in ``evidence``, ``strength``, ``overclaim`` and
    ``cues`` means the pipeline's value stands."""

    article_id: str
    claim_id: str
    claim_start: int
    claim_end: int
    status: str
    reviewer: str
    evidence: str | None = None
    strength: str | None = None
    overclaim: bool | None = None
    cues: list[dict[str, Any]] | None = None
    note: str | None = None
    created_at: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_ARTICLE_COLUMNS = ("id, created_at, updated_at, source, title, media_type, text_sha256, "
                    "schema_version, model_version, analysis, claims, overclaims, support_score, "
                    "verdict")
_REVIEW_COLUMNS = ("article_id, claim_id, claim_start, claim_end, status, reviewer, evidence, "
                   "strength, overclaim, cues, note, created_at, updated_at")


def _article(row: sqlite3.Row) -> ArticleRow:
    data = dict(row)
    data["analysis"] = json.loads(data["analysis"])
    return ArticleRow(**data)


def _review(row: sqlite3.Row) -> Review:
    data = dict(row)
    data["overclaim"] = None if data["overclaim"] is None else bool(data["overclaim"])
    data["cues"] = None if data["cues"] is None else json.loads(data["cues"])
    return Review(**data)


# --------------------------------------------------------------------------- the store

class Store:
    """Articles, their analyses and the reviews of their claims, in one SQLite file."""

    def __init__(self, path: str | Path, *, migrations: list[Migration] | None = None) -> None:
        self.path = Path(path)
        if str(path) == ":memory:":
            raise StoreError("the review database must be a file (each request opens it)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.execute("PRAGMA journal_mode = WAL")
                self.applied = migrate(conn, migrations if migrations is not None
                                       else load_migrations())
                self.version = _user_version(conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the review database ({exc})") from None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot create the review database "
                             f"({exc.strerror or exc})") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- articles
    def add_analysis(self, analysis: dict[str, Any], *, media_type: str, title: str | None,
                     model_version: str) -> tuple[ArticleRow, bool]:
        """Store an analysis; ``(row, created)``. An identical analysis of the same text (same
        source, same claims, same model) is stored once: its row is returned, reviews intact."""
        text = analysis["text"]
        if not title:  # the first line, as `annotate import` titles an untitled article
            title = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:200] or None
        digest = text_digest(text)
        canonical = _canonical(analysis)
        summary = analysis.get("summary") or {}
        stamp = now()
        with self._transaction() as conn:
            for row in conn.execute("SELECT id, analysis, model_version FROM articles WHERE "
                                    "text_sha256 = ? ORDER BY created_at DESC", (digest,)):
                if row["model_version"] == model_version and \
                        _canonical(json.loads(row["analysis"])) == canonical:
                    conn.execute("UPDATE articles SET updated_at = ? WHERE id = ?",
                                 (stamp, row["id"]))
                    article = self._get(conn, row["id"])
                    assert article is not None
                    return article, False
            article_id = secrets.token_hex(6)
            conn.execute(
                f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (article_id, stamp, stamp, str(analysis.get("source") or ""), title, media_type,
                 digest, str(analysis.get("schema_version") or ""), model_version,
                 json.dumps(analysis, ensure_ascii=False),
                 int(summary.get("claims", len(analysis["claims"]))),
                 int(summary.get("overclaims", 0)), float(summary.get("support_score", 0.0)),
                 str(summary.get("verdict") or "")))
            article = self._get(conn, article_id)
        assert article is not None
        return article, True

    def _get(self, conn: sqlite3.Connection, article_id: str) -> ArticleRow | None:
        row = conn.execute(
            f"SELECT {_ARTICLE_COLUMNS}, (SELECT count(*) FROM reviews r WHERE r.article_id = "
            "a.id) AS reviewed_claims, (SELECT max(updated_at) FROM reviews r WHERE "
            "r.article_id = a.id) AS last_review_at FROM articles a WHERE id = ?",
            (article_id,)).fetchone()
        return None if row is None else _article(row)

    def get_article(self, article_id: str) -> ArticleRow | None:
        with self._connect() as conn:
            return self._get(conn, article_id)

    def list_articles(self, *, reviewed_only: bool = False, limit: int = 50,
                      offset: int = 0) -> tuple[list[ArticleRow], int]:
        """Articles, the most recently reviewed (else analysed) first, and how many there are."""
        where = "WHERE reviewed_claims > 0" if reviewed_only else ""
        query = (
            f"SELECT * FROM (SELECT {_ARTICLE_COLUMNS}, (SELECT count(*) FROM reviews r WHERE "
            "r.article_id = a.id) AS reviewed_claims, (SELECT max(updated_at) FROM reviews r "
            f"WHERE r.article_id = a.id) AS last_review_at FROM articles a) {where}")
        with self._connect() as conn:
            total = conn.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
            rows = conn.execute(f"{query} ORDER BY coalesce(last_review_at, updated_at) DESC, "
                                "id LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [_article(r) for r in rows], int(total)

    def reviewed_article_ids(self) -> list[str]:
        with self._connect() as conn:
            return [r[0] for r in conn.execute(
                "SELECT article_id FROM reviews GROUP BY article_id "
                "ORDER BY min(created_at), article_id")]

    # -- reviews
    def reviews(self, article_id: str) -> dict[str, Review]:
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE article_id = ?",
                                (article_id,)).fetchall()
        return {r["claim_id"]: _review(r) for r in rows}

    def save_reviews(self, reviews: list[Review]) -> list[Review]:
        """Insert or replace reviews (one transaction); each change is logged."""
        stamp = now()
        saved: list[Review] = []
        with self._transaction() as conn:
            for review in reviews:
                old = conn.execute("SELECT created_at FROM reviews WHERE article_id = ? AND "
                                   "claim_id = ?", (review.article_id, review.claim_id)).fetchone()
                review.created_at = old["created_at"] if old else stamp
                review.updated_at = stamp
                conn.execute(
                    f"INSERT OR REPLACE INTO reviews ({_REVIEW_COLUMNS}) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (review.article_id, review.claim_id, review.claim_start, review.claim_end,
                     review.status, review.reviewer, review.evidence, review.strength,
                     None if review.overclaim is None else int(review.overclaim),
                     None if review.cues is None else _canonical(review.cues), review.note,
                     review.created_at, review.updated_at))
                conn.execute("INSERT INTO review_log (article_id, claim_id, action, review, at) "
                             "VALUES (?, ?, 'save', ?, ?)",
                             (review.article_id, review.claim_id, _canonical(review.to_dict()),
                              stamp))
                saved.append(review)
        return saved

    def clear_review(self, article_id: str, claim_id: str) -> bool:
        """Remove a claim's review (logged); False when there was none."""
        with self._transaction() as conn:
            gone = conn.execute("DELETE FROM reviews WHERE article_id = ? AND claim_id = ?",
                                (article_id, claim_id)).rowcount
            if gone:
                conn.execute("INSERT INTO review_log (article_id, claim_id, action, review, at) "
                             "VALUES (?, ?, 'clear', NULL, ?)", (article_id, claim_id, now()))
        return bool(gone)

    def review_log(self, article_id: str) -> list[dict[str, Any]]:
        with self._connect() as conn:
            rows = conn.execute("SELECT seq, claim_id, action, review, at FROM review_log "
                                "WHERE article_id = ? ORDER BY seq", (article_id,)).fetchall()
        return [{**dict(r), "review": json.loads(r["review"]) if r["review"] else None}
                for r in rows]

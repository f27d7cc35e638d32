"""The ``teamcar`` command line: set up the store, make and load exports, serve the dashboard."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dashboard.urls import PeriodError, read_day
from loaders.config import ConfigError, load_config

app = typer.Typer(
    help="Team Car: the quarter as a course map for sales managers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the store: schema, backups, restores.", no_args_is_help=True)
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="Manage who may sign in and what they see.", no_args_is_help=True)
app.add_typer(users_app, name="users")
console = Console()
err = Console(stderr=True, soft_wrap=True)  # a path or a message is never cut by a newline


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


# How the summary's quarter and day errors are worded here: as the options that were typed.
PERIOD_OPTIONS = {"quarter": "--quarter", "as_of": "--as-of", "since": "--since"}


def _date(value: str | None, option: str) -> dt.date | None:
    """The day given to ``option`` (None when not given), read as every day is (``read_day``)."""
    try:
        return read_day(value, option)
    except PeriodError as exc:
        raise UserError(exc.worded()) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the store or bring it to the latest schema, keeping every row."""
    from loaders.store.engine import current_revision, upgrade

    url = load_config().database_url
    upgrade(url)
    console.print(f"Store at [bold]{_safe_url(url)}[/] is at schema {current_revision(url)}.")


@db_app.command("current")
def db_current() -> None:
    """Print the store's schema revision."""
    from loaders.store.engine import current_revision

    url = load_config().database_url
    console.print(f"{_safe_url(url)}: {current_revision(url) or 'empty (run teamcar db upgrade)'}")


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (replaced if it exists).")],
    portable: Annotated[
        bool,
        typer.Option(
            "--portable", help="Rows as JSON lines: restores into SQLite or PostgreSQL alike."
        ),
    ] = False,
) -> None:
    """Back up the store and its archived exports to FILE (safe while the app serves)."""
    from loaders.store import audit
    from loaders.store.backup import BackupError, backup
    from loaders.store.engine import get_engine

    config = load_config()
    try:
        made = backup(file, config=config, portable=portable)
    except BackupError as exc:
        raise UserError(str(exc)) from None
    audit.record(
        get_engine(config.database_url),
        audit.STORE,
        "backed up",
        subject=str(file),
        detail=f"{made.method}, schema {made.revision}, {made.rows:,} rows, "
        f"{made.archived} archived exports",
    )
    _print_backup("Backed up", made)


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A backup written by teamcar db backup.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a store that holds data (backed up first)."),
    ] = False,
) -> None:
    """Restore FILE into the store (an empty one unless --force), upgraded to this schema."""
    from loaders.store.backup import BackupError, restore

    try:
        done = restore(file, force=force, progress=lambda m: err.print(f"[dim]{m}[/]"))
    except BackupError as exc:
        raise UserError(str(exc)) from None
    _print_backup("Restored", done)


def _print_backup(verb: str, result) -> None:
    mb = result.bytes / 1_000_000
    console.print(
        f"{verb} the {result.store_kind} store ({result.method}, schema {result.revision}): "
        f"{len(result.tables)} tables, {result.rows:,} rows, {result.archived} archived "
        f"export{'s' if result.archived != 1 else ''} · [bold]{result.path}[/] "
        f"({mb:,.1f} MB) in {result.seconds:,.1f} s."
    )
    if verb == "Restored":
        console.print(
            f"The store is at schema {_current(load_config().database_url)}, data version "
            f"{result.data_version}: open dashboards redraw on their next poll."
        )
    if result.safety_copy:
        console.print(f"The data it replaced was backed up first to [bold]{result.safety_copy}[/].")
    for path in result.missing:
        err.print(f"[yellow]warning[/] archived export missing, not in the backup: {path}")
    for note in result.notes:
        console.print(f"[yellow]note[/] {note}")


def _current(url: str) -> str | None:
    from loaders.store.engine import current_revision

    return current_revision(url)


class Role(StrEnum):
    manager = "manager"
    leader = "leader"
    admin = "admin"


def _users_engine():
    from loaders.store.engine import get_engine, upgrade

    url = load_config().database_url
    upgrade(url)
    return get_engine(url)


def _read_password(from_stdin: bool, for_sso: bool = True) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError("--password-stdin: no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise UserError(
            "no terminal to ask for the password: pipe it with --password-stdin"
            + (", or use --no-password for a single sign-on user" if for_sso else "")
        )
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The name they sign in with (and SSO sends).")],
    role: Annotated[
        Role,
        typer.Option(
            help="manager: own teams; leader: all teams; admin: all teams, the data and the users."
        ),
    ],
    team: Annotated[
        list[str] | None, typer.Option(help="A team a manager may see (repeat for several).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password", help="No password: signs in through the single sign-on proxy only."
        ),
    ] = False,
) -> None:
    """Add a user who may sign in (asks for the password unless told otherwise)."""
    from dashboard.auth import AuthError, add_user

    if password_stdin and no_password:
        raise UserError("--password-stdin and --no-password cannot be used together")
    password = None if no_password else _read_password(password_stdin)
    try:
        user = add_user(_users_engine(), name, role.value, team or [], password)
    except AuthError as exc:
        raise UserError(str(exc)) from None
    sees = ", ".join(user.teams) if user.teams else "every team"
    console.print(f"Added [bold]{user.name}[/] ({user.role}), who sees {sees}.")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from standard input.")
    ] = False,
) -> None:
    """Change a user's password (asks for it twice); their open sessions end with their next
    click."""
    from dashboard.auth import AuthError, find_user, set_password

    engine = _users_engine()
    if find_user(engine, " ".join(name.split())) is None:  # before asking for a password
        raise UserError(f"no user called {name!r}")
    password = _read_password(password_stdin, for_sso=False)
    try:
        user = set_password(engine, name, password)
    except AuthError as exc:
        raise UserError(str(exc)) from None
    console.print(
        f"Changed the password of [bold]{user.name}[/]; their open sessions are signed out."
    )


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Remove a user; their open sessions end with their next click."""
    from dashboard.auth import AuthError, remove_user

    try:
        remove_user(_users_engine(), name)
    except AuthError as exc:
        raise UserError(str(exc)) from None
    console.print(f"Removed [bold]{name}[/].")


@users_app.command("list")
def users_list() -> None:
    """The users, their roles and the teams they see."""
    from dashboard.auth import list_users

    users = list_users(_users_engine())
    if not users:
        console.print("No users: Team Car runs as the local single-user demo (no sign-in).")
        return
    table = Table(title="Users")
    for col in ("name", "role", "teams", "signs in with"):
        table.add_column(col)
    for u in users:
        table.add_row(
            u["name"],
            u["role"],
            ", ".join(u["teams"]) or "every team",
            "password" if u["password"] else "single sign-on only",
        )
    console.print(table)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the exports into.")],
    reps: Annotated[int, typer.Option(min=1, help="Account executives to simulate.")] = 24,
    deals_per_rep: Annotated[
        int, typer.Option(min=1, help="Open deals per rep this quarter (on average over it).")
    ] = 12,
    weeks: Annotated[
        int, typer.Option(min=1, max=60, help="Weekly snapshots, the last on --today.")
    ] = 13,
    today: Annotated[str | None, typer.Option(help="The demo's today, YYYY-MM-DD.")] = None,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed writes the same files.")
    ] = 7,
    calls: Annotated[
        bool, typer.Option("--calls", help="Also write calls.csv: weekly forecast calls.")
    ] = False,
) -> None:
    """Write a realistic, seeded set of Salesforce, HubSpot, roster and enablement exports."""
    summary = _generate(
        out_dir,
        reps=reps,
        deals_per_rep=deals_per_rep,
        weeks=weeks,
        today=_date(today, "--today"),
        seed=seed,
        calls=calls,
    )
    console.print(f"Wrote {len(summary.files)} files to [bold]{out_dir}[/].")


def _generate(
    out_dir: Path,
    *,
    reps: int,
    deals_per_rep: int,
    weeks: int,
    today: dt.date | None,
    seed: int,
    calls: bool = False,
):
    from loaders import clock
    from loaders.generate import GenerateParams
    from loaders.generate import generate as run_generate

    params = GenerateParams(
        reps=reps,
        deals_per_rep=deals_per_rep,
        weeks=weeks,
        today=today or clock.today(),
        seed=seed,
        fiscal_year_start_month=load_config().fiscal_year_start_month,
        calls=calls,
    )
    with _progress() as bar:
        return run_generate(Path(out_dir), params, progress=_stage_bars(bar))


def _stage_bars(bar: Progress):
    """A generator progress callback drawing one bar per stage on ``bar``."""
    tasks: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total or None)
        bar.update(tasks[stage], completed=done, total=total or None)

    return report


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="Export files or folders of exports.")],
    as_of: Annotated[
        str | None, typer.Option(help="As-of date of the snapshot(s), YYYY-MM-DD.")
    ] = None,
    format: Annotated[
        str | None, typer.Option(help="Force a reader instead of detecting it.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="TOML mapping file for other layouts.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="pipeline, history, activity, roster, quota, readiness, calls."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Source label (default: the CRM's name).")
    ] = None,
    date_format: Annotated[
        str | None, typer.Option(help="strftime format for ambiguous dates, e.g. %d/%m/%Y.")
    ] = None,
    wide: Annotated[
        bool, typer.Option("--wide", help="The load summary in one table, wider than the terminal.")
    ] = False,
) -> None:
    """Load exports into the store: one import batch per file, all or nothing per file."""
    outcomes = _load(
        paths,
        as_of=_date(as_of, "--as-of"),
        format=format,
        mapping=mapping,
        kind=kind,
        source=source,
        date_format=date_format,
        wide=wide,
    )
    if any(o.status == "loaded" for o in outcomes):
        _keep_landing()
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


def _keep_landing() -> None:
    """Compute the landing views for the new data and keep them in the store, so a server's
    first visitor after a load does not wait for them (``dashboard.serve.warm.keep``)."""
    from dashboard.serve import warm
    from loaders.store.engine import get_engine

    started = time.perf_counter()
    try:
        warm.keep(get_engine(load_config().database_url))
    except Exception as exc:  # noqa: BLE001 - the load stands; the views are computed when asked
        err.print(f"[yellow]Landing views not prepared[/] ({exc}); the first visit computes them.")
        return
    console.print(f"Landing views prepared in {time.perf_counter() - started:.1f} s.")


def _load(
    paths,
    *,
    as_of=None,
    format=None,
    mapping=None,
    kind=None,
    source=None,
    date_format=None,
    quiet=False,
    wide=False,
):
    from loaders.ingest import expand_paths, load_file
    from loaders.store import audit
    from loaders.store.engine import get_engine, upgrade

    files = expand_paths(paths)
    missing = [p for p in files if not p.exists()]
    if missing:
        raise UserError("no such file or folder: " + ", ".join(map(str, missing)))
    if not files:
        raise UserError("no export files found in " + ", ".join(map(str, paths)))
    config = load_config()
    upgrade(config.database_url)
    stamp = dt.datetime.combine(as_of, dt.time()) if as_of else None
    outcomes = []
    with _progress(disable=quiet) as bar:
        overall = bar.add_task(f"Loading {len(files)} file(s)", total=len(files))
        for path in files:
            task = bar.add_task(path.name, total=None)
            outcome = load_file(
                path,
                config=config,
                as_of=stamp,
                format=format,
                kind=kind,
                mapping=mapping,
                source=source,
                date_format=date_format,
                progress=lambda n, t=task: bar.update(t, completed=n),
            )
            bar.remove_task(task)
            bar.advance(overall)
            outcomes.append(outcome)
            audit.record_load(get_engine(config.database_url), outcome, via="cli")
    if not quiet:
        _print_outcomes(outcomes, wide=wide)
    return outcomes


def _print_outcomes(outcomes, wide: bool = False) -> None:
    from rich.markup import escape

    from dashboard.cli.outcomes import print_load_table

    print_load_table(console, outcomes, wide=wide)
    tally = {
        status: sum(o.status == status for o in outcomes)
        for status in ("loaded", "unchanged", "failed")
    }
    console.print(", ".join(f"{n} {status}" for status, n in tally.items()) + ".")
    for o in outcomes:
        if o.status == "failed":
            err.print(f"[red]error[/] {escape(o.message)}")
        for w in o.warnings:
            console.print(f"[yellow]warning[/] {escape(o.path.name)}: {escape(w)}")


@app.command()
def summary(
    quarter: Annotated[
        str | None, typer.Option(help="Fiscal quarter, e.g. 2026-Q4 (default: today's).")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Day to measure on, YYYY-MM-DD.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Comparison day: adds movement and rank change.")
    ] = None,
    team: Annotated[str | None, typer.Option(help="One team's name (default: all teams).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    wide: Annotated[
        bool,
        typer.Option("--wide", help="Every figure in full-width tables, wider than the terminal."),
    ] = False,
) -> None:
    """Every figure of the quarter for the team and each rep, as tables or JSON."""
    from dashboard.cli.summary import summary_command
    from dashboard.models.standings import SummaryError
    from loaders import clock
    from loaders.fiscal import quarter_of

    config = load_config()
    name = quarter or quarter_of(clock.today(), config.fiscal_year_start_month).name
    try:
        summary_command(name, as_of, since, team, as_json, wide=wide, console=console)
    except SummaryError as exc:
        if isinstance(exc.__cause__, PeriodError):
            raise UserError(exc.__cause__.worded(PERIOD_OPTIONS)) from None
        raise UserError(str(exc)) from None


@app.command()
def forecast(
    quarter: Annotated[
        str | None, typer.Option(help="Fiscal quarter, e.g. 2026-Q4 (default: today's).")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Day to forecast from, YYYY-MM-DD.")] = None,
    team: Annotated[str | None, typer.Option(help="One team's name (default: all teams).")] = None,
    backtest: Annotated[
        bool, typer.Option("--backtest", help="Add the backtest on every past quarter.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Where the quarter will land: the landing range, the calls up the chain, the backtest."""
    from dashboard.cli.forecast import forecast_command
    from dashboard.models.standings import SummaryError
    from loaders import clock
    from loaders.fiscal import quarter_of

    config = load_config()
    name = quarter or quarter_of(clock.today(), config.fiscal_year_start_month).name
    try:
        forecast_command(name, as_of, team, backtest, as_json, console=console)
    except SummaryError as exc:
        if isinstance(exc.__cause__, PeriodError):
            raise UserError(exc.__cause__.worded(PERIOD_OPTIONS)) from None
        raise UserError(str(exc)) from None


class DigestFormat(StrEnum):
    markdown = "markdown"
    html = "html"
    slack = "slack"


@app.command()
def digest(
    since: Annotated[
        str | None,
        typer.Option(help="Compare with this day (default: the snapshot before the latest)."),
    ] = None,
    team: Annotated[
        list[str] | None, typer.Option(help="Only this team (repeat for several; default: all).")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="The day, YYYY-MM-DD (default: today).")] = None,
    format: Annotated[
        DigestFormat, typer.Option("--format", help="markdown, html (e-mail) or slack (JSON).")
    ] = DigestFormat.markdown,
    post: Annotated[
        str | None,
        typer.Option("--post", help="Send it to this incoming webhook (http or https) instead."),
    ] = None,
    post_env: Annotated[
        str | None,
        typer.Option(
            "--post-env",
            metavar="VAR",
            help="Send it to the webhook whose address is in this environment variable (kept "
            "out of the process list, where --post URL shows).",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for the webhook.")
    ] = 10.0,
) -> None:
    """The day's glance for a chat channel or an e-mail: position against pace, what moved, the
    deals that decide the quarter, who needs help."""
    from dashboard.cli.digest import PostError, digest_command, webhook_from_env
    from dashboard.models.digest import DigestError
    from loaders.store.engine import get_engine

    day, before = _date(as_of, "--as-of"), _date(since, "--since")
    try:
        if post is not None and post_env is not None:
            raise PostError("give --post URL or --post-env VAR, not both")
        if post_env is not None:
            post = webhook_from_env(post_env)
        digest_command(
            get_engine(load_config().database_url), day, before, team, format.value, post, timeout
        )
    except (DigestError, PostError) as exc:
        raise UserError(str(exc)) from None


class AuditFormat(StrEnum):
    table = "table"
    csv = "csv"


AUDIT_HEADERS = {
    "at": "When",
    "kind": "Kind",
    "action": "Action",
    "actor": "Who",
    "via": "Via",
    "subject": "Subject",
    "detail": "Detail",
}


@app.command("audit")
def audit_log(
    since: Annotated[
        str | None, typer.Option(help="Entries made on or after this day, YYYY-MM-DD.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only load, user, call, mapping, plan or store entries.")
    ] = None,
    format: Annotated[
        AuditFormat, typer.Option("--format", help="table, or csv on standard output.")
    ] = AuditFormat.table,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many, the newest.")] = None,
) -> None:
    """The audit log, newest first: who loaded data, changed users, made calls, and when."""
    import csv

    from rich.text import Text

    from dashboard.exports import export_rows
    from dashboard.reads.audit import load_audit
    from loaders.store.engine import get_engine, upgrade

    url = load_config().database_url
    upgrade(url)
    try:
        df = load_audit(get_engine(url), kind=kind, since=_date(since, "--since"), limit=limit)
    except ValueError as exc:
        raise UserError(f"--kind: {exc}") from None
    df = df[list(AUDIT_HEADERS)].rename(columns=AUDIT_HEADERS)
    df["When"] = df["When"].map(lambda t: t.isoformat(sep=" ", timespec="seconds"))
    if format == AuditFormat.csv:
        header, rows = export_rows(df)  # formula-like text neutralised, as every export
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return
    if df.empty:
        console.print("No audit entries" + (f" since {since}" if since else "") + ".")
        return
    table = Table(title=f"Audit log ({len(df):,} entries, newest first)")
    for col in df.columns:
        table.add_column(col, overflow="fold")
    for row in df.itertuples(index=False):
        table.add_row(*(Text(str(v)) for v in row))  # names and files as text, never markup
    console.print(table)


@app.command("map")
def map_file(
    file: Annotated[Path, typer.Argument(help="An export no built-in format reads.")],
    kind: Annotated[
        str | None,
        typer.Option(help="pipeline, activity, history, roster, quota, readiness, calls."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the mapping to this TOML file (default: print).")
    ] = None,
    save: Annotated[
        str | None,
        typer.Option(
            help="Keep it in the store under this name: later files with the same "
            "columns are read with it by themselves."
        ),
    ] = None,
) -> None:
    """Draft a mapping for an export: each column matched to a field, with why (docs/mapping.md)."""
    from loaders.formats.draft import draft_mapping
    from loaders.parsing.errors import LoadError

    if not file.is_file():
        raise UserError(f"{file}: no such file")
    try:
        draft = draft_mapping(file, kind)
    except LoadError as exc:
        raise UserError(str(exc)) from None
    try:
        from loaders.formats import detect_format

        known = detect_format(file, kind=kind)
    except LoadError:
        known = None
    if known is not None:
        err.print(
            f"[yellow]note[/] {file.name} is already read by the built-in format {known!r}; "
            "`teamcar load` needs no mapping for it."
        )
    text = draft.to_toml()
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out} ({draft.kind}, {len(draft.chosen())} columns mapped).")
    elif save is None:
        print(text, end="")
    for c in draft.doubtful:
        err.print(f"[yellow]check[/] {c.field} = {c.column!r}: {c.why}")
    if save is not None:
        from loaders.store import audit
        from loaders.store.engine import get_engine, upgrade
        from loaders.store.mappings import save_mapping

        config = load_config()
        upgrade(config.database_url)
        try:
            save_mapping(
                get_engine(config.database_url),
                name=save,
                kind=draft.kind,
                header=draft.header,
                spec_toml=text,
                author=audit.local_actor(),
                via="cli",
            )
        except LoadError as exc:
            raise UserError(str(exc)) from None
        console.print(
            f"Saved as {save!r}: files with these {len(draft.header)} columns now load as "
            f"{draft.kind} by themselves."
        )


@app.command()
def watch(
    folder: Annotated[Path, typer.Argument(help="Folder where exports land.")],
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between looks.")] = 1.0,
    settle: Annotated[float, typer.Option(min=0.0, help="Seconds a file must stay still.")] = 2.0,
    once: Annotated[
        bool, typer.Option(help="Load what is there now (when still) and exit.")
    ] = False,
) -> None:
    """Load each export that lands in FOLDER, then move it to processed/ or failed/."""
    from loaders.ingest import load_file
    from loaders.store import audit
    from loaders.store.engine import get_engine, upgrade
    from loaders.watch import Watcher

    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder")
    config = load_config()
    upgrade(config.database_url)

    def report(o) -> None:
        if not o.message.endswith("will retry"):  # not while the store is away (tried again)
            audit.record_load(get_engine(config.database_url), o, via="watcher")
        if o.status == "failed":
            err.print(f"[red]failed[/] {o.path.name}: {o.message} (moved to failed/)")
        else:
            console.print(
                f"[green]{o.status}[/] {o.path.name}: {o.kind}, {o.rows_loaded:,} rows, "
                f"{o.rows_rejected:,} rejected, {len(o.warnings)} warnings"
            )

    watcher = Watcher(
        folder, settle=settle, load=lambda p: load_file(p, config=config), on_outcome=report
    )
    if once:
        watcher.poll()
        time.sleep(settle)
        watcher.poll()
        return
    console.print(f"Watching [bold]{folder}[/] (Ctrl+C stops).")
    from dashboard.serve import warm

    warm.start(get_engine(config.database_url), draw=False)  # keeps each new load's landing views
    try:
        watcher.run(interval)
    except KeyboardInterrupt:
        console.print("Stopped.")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    reps: Annotated[int, typer.Option(min=1, help="Reps in the demo.")] = 24,
    serve_app: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after loading.")
    ] = True,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Print one line per request (off by default).")
    ] = False,
) -> None:
    """Generate a live-looking demo (relative to today), load it into data/demo.db and serve it."""
    from loaders.demo import build_demo_store

    config = load_config()
    demo_dir = config.data_dir / "demo"
    db_path = config.data_dir / "demo.db"
    # The demo keeps its own store, rebuilt each time, so demo snapshots never pile up elsewhere.
    shutil.rmtree(demo_dir, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    os.environ["TEAMCAR_DATABASE_URL"] = url
    with _progress() as bar:
        built = build_demo_store(
            demo_dir / "exports", url, reps=reps, config=config, progress=_stage_bars(bar)
        )
    loaded = sum(o.status == "loaded" for o in built.outcomes)
    rows = sum(o.rows_loaded for o in built.outcomes)
    console.print(f"Loaded {loaded} demo exports ({rows:,} rows) into [bold]{db_path}[/].")
    failed = built.failed
    for o in failed:
        err.print(f"[red]error[/] {o.message}")
    if failed:
        raise typer.Exit(1)
    if serve_app:
        _serve(host, port, workers=1, access_log=access_log)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    workers: Annotated[
        int, typer.Option(min=1, help="gunicorn worker processes, each with its threads.")
    ] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Print one line per request (off by default).")
    ] = False,
) -> None:
    """Serve the dashboard on the configured store (gunicorn, threaded workers)."""
    from loaders.store.engine import upgrade

    upgrade(load_config().database_url)
    _serve(host, port, workers, access_log)


def _serve(host: str, port: int, workers: int, access_log: bool = False) -> None:
    """Replace this process with gunicorn serving the app (``dashboard.serve.gunicorn_conf``).

    Always gunicorn, one worker included: a production server with its timeouts, never Flask's
    development server. The process keeps its id, so whoever started ``teamcar serve`` stops
    gunicorn (and its workers) by signalling it.
    """
    from rich.markup import escape

    from dashboard.serve import gunicorn_conf

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    url = f"http://{bind}/"
    threads = gunicorn_conf.threads
    console.print(
        f"Team Car is serving at [bold]{escape(url)}[/] with gunicorn: {workers} "
        f"worker{'s' if workers != 1 else ''} of {threads} threads (Ctrl+C stops it).",
        soft_wrap=True,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(sys.executable, gunicorn_argv(bind, workers, access_log))


def gunicorn_argv(bind: str, workers: int, access_log: bool) -> list[str]:
    """The gunicorn command ``teamcar serve`` runs (its settings: ``gunicorn_conf``)."""
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:dashboard.serve.gunicorn_conf"]
    argv += ["--workers", str(workers), "--bind", bind]
    if access_log:
        argv += ["--access-logfile", "-"]  # standard output; off unless asked
    return [*argv, "dashboard.serve.wsgi:server"]


def _progress(disable: bool = False) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=disable or not err.is_terminal,
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """Entry point: runs the CLI and turns user-facing errors into one clear line."""
    from sqlalchemy.exc import DBAPIError

    from loaders.schema import SchemaError

    try:
        app()
    except (UserError, ConfigError) as exc:
        err.print(f"[red]error[/] {exc}")
        sys.exit(2)
    except SchemaError as exc:  # a reader bug, reported plainly
        err.print(f"[red]internal error[/] a reader produced bad rows: {exc}")
        sys.exit(3)
    except DBAPIError as exc:  # the store is unreachable, locked or refused the write
        err.print(
            f"[red]database error[/] {_safe_url(load_config().database_url)}: "
            f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}"
        )
        sys.exit(3)


if __name__ == "__main__":
    main()

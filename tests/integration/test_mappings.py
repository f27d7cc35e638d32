"""Saved mappings and batches read one way (issue 15 items 1-3 and its bad input), as stored.

A mapping kept in the store reads, by itself, any later file with the same header (``load_file``:
the CLI, the watcher and uploads); a saved mapping whose file lost a column it reads is named in
one message; one file loads once per kind; every bad mapping is one message and stores nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from loaders.formats.draft import draft_mapping
from loaders.ingest import load_file
from loaders.parsing.errors import LoadError
from loaders.store.engine import get_engine, session_scope
from loaders.store.mappings import (
    delete_mapping,
    header_key,
    list_mappings,
    save_mapping,
    saved_formats,
)
from loaders.store.models import (
    AuditEntry,
    ImportBatch,
    OpportunitySnapshot,
    Rep,
    SavedMapping,
)
from tests.support.cli import teamcar
from tests.support.stores import make_store

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
DRAFTS = EXPORTS / "drafts"


@pytest.fixture
def store(tmp_path, data_dir, monkeypatch):
    """A SQLite store (the PostgreSQL path is the same SQL; test_store covers both backends)."""
    url, drop = make_store("sqlite", tmp_path, prefix="mappings")
    monkeypatch.setenv("TEAMCAR_DATABASE_URL", url)
    yield get_engine(url)
    drop()


def _copy(tmp_path: Path, src: Path, name: str | None = None) -> Path:
    return Path(shutil.copy(src, tmp_path / (name or src.name)))


def _counts(engine) -> tuple[int, int, int]:
    with session_scope(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(ImportBatch)),
            s.scalar(select(func.count()).select_from(OpportunitySnapshot)),
            s.scalar(select(func.count()).select_from(Rep)),
        )


def _save(engine, path: Path, name: str, kind: str | None = None) -> int:
    draft = draft_mapping(path, kind)
    return save_mapping(
        engine,
        name=name,
        kind=draft.kind,
        header=draft.header,
        spec_toml=draft.to_toml(),
        author="ada",
        via="cli",
    )


def test_header_key_folds_spelling_and_keeps_order():
    assert header_key(["Deal Stage", "Close_Date"]) == header_key(["deal_stage", "CLOSE DATE "])
    assert header_key(["a", "b"]) != header_key(["b", "a"])
    assert len(header_key(["a"])) == 64


def test_save_list_replace_and_delete_are_audited(store):
    path = DRAFTS / "sales_pipeline.csv"
    first = _save(store, path, "maven deals")
    assert _save(store, path, "maven deals") == first  # the same name: replaced, not added
    rows = list_mappings(store)
    assert [(m["name"], m["kind"], m["author"]) for m in rows] == [
        ("maven deals", "pipeline", "ada")
    ]
    assert rows[0]["fields"]["owner"] == "sales_agent"
    assert rows[0]["header"][:2] == ["opportunity_id", "sales_agent"]
    assert [f.name for f in saved_formats(store, rows[0]["header"])] == ["mapping:maven deals"]
    assert saved_formats(store, ["something", "else"]) == []
    # another name for the same header and kind: refused, naming the one that has it
    with pytest.raises(LoadError, match="'maven deals' already reads files with these columns"):
        _save(store, path, "other name")
    # a mapping that does not read is refused before anything is kept
    with pytest.raises(LoadError, match="the saved mapping 'broken': not valid TOML"):
        save_mapping(
            store, name="broken", kind="pipeline", header=["a"], spec_toml="kind = = 1",
            author="ada", via="cli",
        )  # fmt: skip
    assert delete_mapping(store, "maven deals", actor="root", via="browser") is True
    assert delete_mapping(store, "maven deals", actor="root", via="browser") is False
    assert list_mappings(store) == []
    with session_scope(store) as s:
        log = s.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.via, AuditEntry.subject)
            .where(AuditEntry.kind == "mapping")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in log] == [
        ("created", "ada", "cli", "maven deals"),
        ("edited", "ada", "cli", "maven deals"),
        ("deleted", "root", "browser", "maven deals"),
    ]


def test_a_saved_mapping_reads_later_files_with_that_header_by_itself(store, tmp_path):
    path = _copy(tmp_path, DRAFTS / "salesforce_report_no_amount.csv")
    refused = load_file(path, engine=store)
    assert refused.status == "failed"
    lines = refused.message.splitlines()
    assert len(lines) == 2 and "teamcar map salesforce_report_no_amount.csv" in lines[1]
    _save(store, path, "pipeline by stage")
    later = _copy(tmp_path, path, "salesforce_report_no_amount_2026-10-09.csv")
    out = load_file(later, engine=store)
    assert out.status == "loaded", out.message
    assert (out.kind, out.format, out.source) == (
        "pipeline",
        "mapping:pipeline by stage",
        "salesforce",
    )
    assert (out.rows_read, out.rows_loaded, out.rows_rejected) == (8, 8, 0)
    with session_scope(store) as s:
        closes = dict(
            s.execute(
                select(OpportunitySnapshot.deal_name, OpportunitySnapshot.close_date).where(
                    OpportunitySnapshot.status != "open"
                )
            ).all()
        )
    # closed deals took their Last Stage Change Date as close date
    assert {k: str(v)[:10] for k, v in closes.items()} == {
        "Tailspin Toys": "2026-09-18",
        "Wingtip": "2026-08-27",
        "Litware": "2026-09-29",
    }
    # the same file again, read the same way: nothing changes
    again = load_file(later, engine=store)
    assert again.status == "unchanged" and again.batch_id == out.batch_id


def test_a_saved_mapping_that_lost_a_column_says_which(store, tmp_path):
    path = DRAFTS / "sales_pipeline.csv"
    _save(store, path, "maven deals")
    lines = path.read_text().splitlines()
    changed = tmp_path / "sales_pipeline_oct.csv"  # close_value dropped from the export
    changed.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    before = _counts(store)
    out = load_file(changed, engine=store)
    assert out.status == "failed"
    assert out.message.startswith(
        "sales_pipeline_oct.csv: the saved mapping 'maven deals' no longer fits: its column "
        "'close_value' (amount) is gone; expected the columns it was saved for ('opportunity_id',"
    )
    assert len(out.message.splitlines()) == 1
    assert _counts(store) == before


def test_a_saved_mapping_reads_a_file_that_gained_a_column(store, tmp_path):
    path = DRAFTS / "sales_teams.csv"
    _save(store, path, "maven teams")
    lines = path.read_text().splitlines()
    grown = tmp_path / "sales_teams_2.csv"
    grown.write_text(
        "\n".join(f"{line},{'hired' if i == 0 else '2016-01-04'}" for i, line in enumerate(lines))
        + "\n"
    )
    out = load_file(grown, engine=store)
    assert out.status == "loaded", out.message
    assert (out.kind, out.rows_loaded) == ("roster", 22)
    assert any(
        "the columns changed since the saved mapping 'maven teams'" in w for w in out.warnings
    )


def test_one_file_loads_once_per_kind_and_each_way_once(store, tmp_path):
    path = _copy(tmp_path, DRAFTS / "crm_sales_dashboard.csv")
    deals = tmp_path / "deals.toml"
    deals.write_text(draft_mapping(path, "pipeline").to_toml())
    team = tmp_path / "team.toml"
    team.write_text(draft_mapping(path, "roster").to_toml())
    first = load_file(path, engine=store, mapping=deals)
    assert first.status == "loaded", first.message
    assert (first.kind, first.rows_loaded) == ("pipeline", 20)
    second = load_file(path, engine=store, mapping=team)
    assert second.status == "loaded", second.message
    # 20 rows of 15 agents: each agent's first row kept, 5 repeats rejected by line
    assert (second.kind, second.rows_loaded, second.rows_rejected) == ("roster", 15, 5)
    assert load_file(path, engine=store, mapping=deals).status == "unchanged"
    assert load_file(path, engine=store, mapping=team).status == "unchanged"
    with session_scope(store) as s:
        kinds = s.execute(select(ImportBatch.kind).order_by(ImportBatch.id)).scalars().all()
    assert kinds == ["pipeline", "roster"]
    # a built-in format still loads its file once, whatever else read it
    builtin = _copy(tmp_path, EXPORTS / "roster.csv")
    assert load_file(builtin, engine=store).status == "loaded"
    assert load_file(builtin, engine=store).status == "unchanged"
    assert load_file(builtin, engine=store, kind="roster").status == "unchanged"


def test_two_saved_mappings_for_one_header_take_kind(store, tmp_path):
    path = _copy(tmp_path, DRAFTS / "crm_sales_dashboard.csv")
    _save(store, path, "dashboard deals", "pipeline")
    _save(store, path, "dashboard team", "roster")
    out = load_file(path, engine=store)  # the roster first, as a folder loads
    assert (out.status, out.kind, out.format) == ("loaded", "roster", "mapping:dashboard team")
    assert any("'dashboard deals' reads it as pipeline" in w for w in out.warnings)
    deals = load_file(path, engine=store, kind="pipeline")
    assert (deals.status, deals.kind, deals.rows_loaded) == ("loaded", "pipeline", 20)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace('amount = "close_value"', 'amount = "deal_value"'),
            "sales_pipeline.csv: the mapping bad.toml names column 'deal_value' (for amount) "
            "that the file lacks; expected one of the columns found (line 1): 'opportunity_id',",
        ),
        (
            lambda t: t.replace('account = "account"', 'account = "sales_agent"'),
            "bad.toml: column 'sales_agent' is mapped to both account and owner; expected one "
            "field per column",
        ),
        (
            lambda t: t.replace('"Won" = { status = "won"', '"Won" = { status = "booked"'),
            "bad.toml: [stages] 'Won' has status 'booked'; a stage's status must be one of "
            "open, won, lost",
        ),
    ],
    ids=["column-the-file-lacks", "two-fields-one-column", "unknown-stage-status"],
)
def test_bad_mappings_are_one_message_and_store_nothing(store, tmp_path, edit, expected):
    path = _copy(tmp_path, DRAFTS / "sales_pipeline.csv")
    text = draft_mapping(path).to_toml()
    bad = tmp_path / "bad.toml"
    bad.write_text(edit(text))
    assert bad.read_text() != text
    before = _counts(store)
    out = load_file(path, engine=store, mapping=bad)
    assert out.status == "failed"
    assert out.message.startswith(expected), out.message
    assert len(out.message.splitlines()) == 1
    assert _counts(store) == before


def test_teamcar_map_prints_writes_saves_and_the_load_uses_it(store, tmp_path):
    path = _copy(tmp_path, DRAFTS / "sales_teams.csv")
    shown = teamcar("map", str(path))
    assert shown.stdout.startswith("# Team Car mapping drafted from sales_teams.csv")
    assert 'rep = "sales_agent"' in shown.stdout
    assert "check team = 'regional_office'" in shown.stderr
    out = tmp_path / "teams.toml"
    teamcar("map", str(path), "--out", str(out))
    assert out.read_text() == shown.stdout
    saved = teamcar("map", str(path), "--save", "maven teams")
    assert "Saved as 'maven teams'" in saved.stdout
    loaded = teamcar("load", str(path))
    assert "1 loaded" in loaded.stdout
    with session_scope(store) as s:
        assert s.scalar(select(func.count()).select_from(SavedMapping)) == 1
        assert s.scalar(select(ImportBatch.format)) == "mapping:maven teams"
    missing = teamcar("map", str(tmp_path / "nope.csv"), check=False)
    assert missing.returncode == 2 and "nope.csv: no such file" in missing.stderr


def test_the_watcher_loads_a_file_a_saved_mapping_fits(store, tmp_path):
    from loaders.watch import Watcher

    _save(store, DRAFTS / "sales_pipeline.csv", "maven deals")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _copy(inbox, DRAFTS / "sales_pipeline.csv", "sales_pipeline_2026-10-09.csv")
    w = Watcher(inbox, settle=1.0, load=lambda p: load_file(p, engine=store))
    assert w.poll(now=0) == []  # first seen: waits until the file is still
    (out,) = w.poll(now=5)
    assert (out.status, out.format, out.rows_loaded) == ("loaded", "mapping:maven deals", 30)
    assert (inbox / "processed" / "sales_pipeline_2026-10-09.csv").exists()

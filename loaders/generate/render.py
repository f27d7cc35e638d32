"""Render the story into export files, exactly in the shapes of FORMATS.md.

Large files (snapshots, activities, the truth log) are written through pyarrow from string columns
built with lookups; small ones (roster, quotas, enablement) through pandas.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders.generate import vocab
from loaders.generate.activities import CALL, EMAIL, MEETING, OTHER, Activities
from loaders.generate.deals import Deals, History
from loaders.generate.people import HUBSPOT, SALESFORCE, SOURCE_NAMES, Org
from loaders.generate.text import (
    NEVER,
    SF_EMPTY_ID,
    DayFormats,
    clock_column,
    duration_column,
    format_values,
    from_codes,
    join,
    padded,
    sf_ids,
    take,
)
from loaders.generate.timeline import Timeline

BOM = "\ufeff"

SF_OPPORTUNITY_COLUMNS = [
    "Opportunity Owner",
    "Account Name",
    "Opportunity Name",
    "Opportunity ID",
    "Stage",
    "Fiscal Period",
    "Amount Currency",
    "Amount",
    "Probability (%)",
    "Close Date",
    "Created Date",
    "Next Step",
    "Lead Source",
    "Type",
    "Forecast Category",
    "Last Activity",
]
HS_DEAL_COLUMNS = [
    "Record ID",
    "Deal Name",
    "Deal Stage",
    "Close Date",
    "Amount",
    "Deal owner",
    "Pipeline",
    "Create Date",
    "Forecast category",
    "Deal probability",
    "Last Activity Date",
    "Next step",
    "Deal Type",
    "Is Closed Won",
    "Is Deal Closed?",
    "HubSpot Team",
    "Associated Company",
    "Weighted amount",
]
SF_TASK_COLUMNS = [
    "Id",
    "WhoId",
    "WhatId",
    "Subject",
    "ActivityDate",
    "Status",
    "OwnerId",
    "Type",
    "AccountId",
    "IsClosed",
    "CreatedDate",
    "CallDurationInSeconds",
    "CallType",
    "TaskSubtype",
]
SF_EVENT_COLUMNS = [
    "Id",
    "WhoId",
    "WhatId",
    "Subject",
    "ActivityDateTime",
    "ActivityDate",
    "DurationInMinutes",
    "OwnerId",
    "Type",
    "AccountId",
    "CreatedDate",
]
HS_CALL_COLUMNS = [
    "Record ID",
    "Activity date",
    "Activity assigned to",
    "Call Title",
    "Call direction",
    "Call outcome",
    "Call duration (HH:mm:ss)",
    "Associated Deal IDs",
    "Associated Deal",
]
HS_EMAIL_COLUMNS = [
    "Record ID",
    "Activity date",
    "Activity assigned to",
    "Email subject",
    "Email direction",
    "Associated Deal IDs",
    "Associated Deal",
]
HS_MEETING_COLUMNS = [
    "Record ID",
    "Activity date",
    "Activity assigned to",
    "Meeting name",
    "Meeting outcome",
    "Meeting start time",
    "Meeting end time",
    "Associated Deal IDs",
    "Associated Deal",
]
ROSTER_COLUMNS = [
    "Rep",
    "Email",
    "Team",
    "Manager",
    "Role",
    "Start Date",
    "CRM User ID",
    "Effective From",
]
QUOTA_COLUMNS = ["Rep", "Quarter", "Quota"]
EVENT_LOG_COLUMNS = ["source", "deal_id", "date", "field", "old_value", "new_value"]
EVENT_FIELDS = (
    "created",
    "owner",
    "stage",
    "probability",
    "forecast_category",
    "amount",
    "close_date",
    "deleted",
)

SF_FOOTER = (
    '"Confidential Information - Do Not Distribute"',
    '"Copyright (c) 2000-{year} salesforce.com, inc. All rights reserved."',
)
_CHUNK_ROWS = 500_000


def write_csv(
    path: Path,
    header: Sequence[str],
    columns: Sequence[pa.Array],
    *,
    quote_all: bool = False,
    encoding: str = "utf-8",
    bom: bool = False,
    footer: Sequence[str] = (),
) -> int:
    """Write one CSV file; returns the number of data rows.

    Args:
        path: the file.
        header: column names, written as the first line.
        columns: one string (or number) array per column.
        quote_all: every value and header name double-quoted (Salesforce); otherwise pyarrow quotes
            text values and leaves numbers and the header bare.
        encoding: ``utf-8`` or ``iso-8859-1``.
        bom: start with a UTF-8 byte order mark.
        footer: lines after the table, preceded by one blank line.
    """
    table = pa.table(list(columns), names=[f"c{i}" for i in range(len(header))])
    options = pacsv.WriteOptions(
        include_header=False, quoting_style="all_valid" if quote_all else "needed"
    )
    head = ",".join(f'"{h}"' if quote_all else h for h in header) + "\n"
    with open(path, "wb") as f:
        f.write(((BOM if bom else "") + head).encode(encoding))
        for start in range(0, table.num_rows, _CHUNK_ROWS):
            buf = io.BytesIO()
            pacsv.write_csv(table.slice(start, _CHUNK_ROWS), buf, options)
            data = buf.getvalue()
            f.write(data if encoding == "utf-8" else data.decode("utf-8").encode(encoding))
        if footer:
            f.write(("\n" + "".join(line + "\n" for line in footer)).encode(encoding))
    return table.num_rows


def _constant(value: str, n: int) -> pa.Array:
    return from_codes(np.zeros(n, np.int64), [value])


def _flag(mask: np.ndarray, yes: str, no: str) -> pa.Array:
    return from_codes(mask.astype(np.int64), [no, yes])


def _plain_number(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


class Renderer:
    """Everything the writers share: the story, lookups of names, dates and ids."""

    def __init__(
        self, org: Org, deals: Deals, acts: Activities, last_seen: np.ndarray, tl: Timeline
    ) -> None:
        self.org, self.deals, self.acts, self.last_seen, self.tl = org, deals, acts, last_seen, tl
        first = int(min(deals.created.min(), tl.window_start) - 30)
        last = int(
            max(
                deals.close.values[deals.close.values < NEVER].max(initial=tl.today),
                deals.close.initial.max(),
                tl.next_end,
            )
            + 30
        )
        self.days = DayFormats(first, last)
        dates = [tl.date(d) for d in range(first, last + 1)]
        self.periods = pa.array([tl.cal.sf_period(tl.cal.index(d)) for d in dates], pa.string())
        self.person_names = padded(pa.array(org.names, pa.string()))
        self.team_names = padded(pa.array(org.team_names, pa.string()))
        self.deal_ids = padded(deals.ids)
        self.deal_names = padded(deals.names)
        self.account_names = padded(deals.account_names)
        self.next_steps = [s for stage in vocab.NEXT_STEPS for s in stage]
        self._activity_kinds = {
            "salesforce_tasks": (SALESFORCE, [CALL, EMAIL, OTHER], self.salesforce_tasks),
            "salesforce_events": (SALESFORCE, [MEETING], self.salesforce_events),
            "hubspot_calls": (HUBSPOT, [CALL], self.hubspot_calls),
            "hubspot_emails": (HUBSPOT, [EMAIL], self.hubspot_emails),
            "hubspot_meetings": (HUBSPOT, [MEETING], self.hubspot_meetings),
        }
        # Per file kind a running number over all weeks: ids grow with time, as a CRM's do.
        self._activity_serial = np.zeros(len(acts), np.int64)
        for source, kinds, _ in self._activity_kinds.values():
            mask = (acts.source == source) & np.isin(acts.kind, kinds)
            self._activity_serial[mask] = np.arange(mask.sum())

    # -- shared columns ---------------------------------------------------------------------
    def _date(self, days: np.ndarray, style: str) -> pa.Array:
        return self.days.column(days, style)

    def _stamp(self, days: np.ndarray, minutes: np.ndarray, seconds: bool = False) -> pa.Array:
        """``2026-10-02 14:31`` (or ``...:00``); blank where ``days`` is NEVER."""
        text = join(self._date(days, "iso"), clock_column(minutes, seconds), sep=" ")
        return pc.if_else(pa.array(days >= NEVER), "", text)

    def _next_step(self, stage: np.ndarray, rows: np.ndarray) -> pa.Array:
        pick = self.deals.next_step[rows]
        codes = np.where((stage < vocab.OPEN_STAGES) & (pick >= 0), stage * 4 + pick, -1)
        return from_codes(codes, self.next_steps)

    def _state(self, rows: np.ndarray, day: int):
        d = self.deals
        stage = d.stage.at(day, rows)
        return (
            stage,
            d.amount.at(day, rows),
            d.close.at(day, rows),
            d.owner.at(day, rows),
            d.forecast(stage, rows),
            d.probability(stage, rows),
        )

    def _last_activity(self, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        stamp = self.last_seen[rows, k]
        return np.where(stamp >= 0, stamp // 1440, NEVER), np.maximum(stamp, 0) % 1440

    # -- snapshots --------------------------------------------------------------------------
    def salesforce_opportunities(self, path: Path, k: int) -> int:
        """The Salesforce report export of snapshot ``k``."""
        d, day = self.deals, int(self.tl.snapshots[k])
        rows = np.flatnonzero(d.present(day) & (d.source == SALESFORCE))
        stage, amount, close, owner, fc, prob = self._state(rows, day)
        last_day, _ = self._last_activity(rows, k)
        period_codes = close - self.days.first
        columns = [
            take(self.person_names, owner),
            take(self.account_names, d.account[rows]),
            take(self.deal_names, rows),
            take(self.deal_ids, rows),
            from_codes(stage, [s for s, _, _ in vocab.SF_STAGES]),
            self.periods.take(pa.array(period_codes)),
            _constant("USD", len(rows)),
            format_values(amount, lambda v: f"{v:,.2f}"),
            format_values(prob, str),
            self._date(close, "mdy"),
            self._date(d.created[rows], "mdy"),
            self._next_step(stage, rows),
            from_codes(d.lead_source[rows], vocab.LEAD_SOURCES),
            from_codes(d.deal_type[rows], vocab.SF_TYPES),
            from_codes(fc, vocab.SF_FORECAST),
            self._date(last_day, "mdy"),
        ]
        footer = [line.format(year=self.tl.today_date.year) for line in SF_FOOTER]
        return write_csv(
            path, SF_OPPORTUNITY_COLUMNS, columns, quote_all=True, bom=True, footer=footer
        )

    def hubspot_deals(self, path: Path, k: int) -> int:
        """The HubSpot deals export of snapshot ``k``."""
        d, org, day = self.deals, self.org, int(self.tl.snapshots[k])
        rows = np.flatnonzero(d.present(day) & (d.source == HUBSPOT))
        stage, amount, close, owner, fc, prob = self._state(rows, day)
        last_day, last_minute = self._last_activity(rows, k)
        team = np.where(owner >= 0, org.team_on(day, np.maximum(owner, 0)), -1)
        columns = [
            take(self.deal_ids, rows),
            take(self.deal_names, rows),
            from_codes(stage, [s for s, _, _ in vocab.HS_STAGES]),
            self._stamp(close, d.hs_close_minute[rows]),
            format_values(amount, lambda v: str(int(v))),
            take(self.person_names, owner),
            _constant(vocab.HS_PIPELINE, len(rows)),
            self._stamp(d.created[rows], d.hs_create_minute[rows]),
            from_codes(fc, vocab.HS_FORECAST),
            format_values(prob, lambda p: f"{p / 100:g}"),
            self._stamp(last_day, last_minute),
            self._next_step(stage, rows),
            from_codes(d.deal_type[rows], vocab.HS_TYPES),
            _flag(stage == vocab.WON, "true", "false"),
            _flag(stage >= vocab.WON, "true", "false"),
            take(self.team_names, team),
            take(self.account_names, d.account[rows]),
            format_values(np.round(amount * prob / 100, 2), _plain_number),
        ]
        return write_csv(path, HS_DEAL_COLUMNS, columns)

    # -- activities -------------------------------------------------------------------------
    def _subject(self, rows: np.ndarray, by_kind: dict[int, Sequence[str]]) -> pa.Array:
        """The activity's subject for its kind, with the account's name when it is on a deal."""
        a = self.acts
        flat: list[str] = []
        first, size = np.zeros(4, np.int64), np.ones(4, np.int64)
        for kind, subjects in by_kind.items():
            first[kind], size[kind] = len(flat), len(subjects)
            flat += subjects
        kind = a.kind[rows]
        base = from_codes(first[kind] + a.subject[rows] % size[kind], flat)
        deal = a.deal[rows]
        account = take(self.account_names, np.where(deal >= 0, self.deals.account[deal], -1))
        return pc.if_else(pa.array(deal >= 0), join(base, " - ", account), base)

    def activity_files(self, out_dir: Path, k: int) -> dict[str, int]:
        """Write the activity files of week ``k`` (the 7 days ending on snapshot ``k``).

        Returns:
            File name to number of rows, for the sources that have teams.
        """
        a = self.acts
        date = self.tl.date(int(self.tl.snapshots[k])).isoformat()
        in_week = a.week == k
        written = {}
        for name, (source, kinds, writer) in self._activity_kinds.items():
            if not (self.org.team_source == source).any():
                continue
            rows = np.flatnonzero(in_week & (a.source == source) & np.isin(a.kind, kinds))
            file = f"{name}_{date}.csv"
            written[file] = writer(out_dir / file, rows)
        return written

    def _sf_common(self, rows: np.ndarray):
        a, d = self.acts, self.deals
        deal = a.deal[rows]
        account = np.where(deal >= 0, d.account[deal], -1)
        linked = pa.array(deal >= 0)
        who = pc.if_else(
            pa.array((deal >= 0) & (a.subject[rows] % 5 != 0)),
            sf_ids("003", 2_000_000 + np.maximum(account, 0)),
            "",
        )
        what = pc.if_else(linked, take(self.deal_ids, deal), SF_EMPTY_ID)
        account_id = pc.if_else(linked, sf_ids("001", 3_000_000 + np.maximum(account, 0)), "")
        owner = self.org.sf_user_ids.take(pa.array(a.owner[rows]))
        return who, what, account_id, owner

    def salesforce_tasks(self, path: Path, rows: np.ndarray) -> int:
        """Data Export ``Task.csv`` shape: calls, emails and other tasks."""
        a = self.acts
        kind, day = a.kind[rows], a.day[rows]
        who, what, account_id, owner = self._sf_common(rows)
        subject = self._subject(
            rows,
            {
                CALL: vocab.TASK_SUBJECTS["call"],
                EMAIL: vocab.TASK_SUBJECTS["email"],
                OTHER: vocab.TASK_SUBJECTS["other"],
            },
        )
        is_call = kind == CALL
        columns = [
            sf_ids("00T", 7_000_000 + 5 * self._activity_serial[rows]),
            who,
            what,
            subject,
            join(self._date(day, "iso"), " 00:00:00"),
            _flag(a.completed[rows], "Completed", "Not Started"),
            owner,
            from_codes(kind, ["Call", "Email", "", "Other"]),
            account_id,
            _flag(a.completed[rows], "1", "0"),
            self._stamp(day, a.minute[rows], seconds=True),
            pc.if_else(pa.array(is_call), pc.cast(pa.array(a.seconds[rows]), pa.string()), ""),
            from_codes(np.where(is_call, a.inbound[rows], -1), ["Outbound", "Inbound"]),
            from_codes(kind, ["Call", "Email", "", "Task"]),
        ]
        return write_csv(path, SF_TASK_COLUMNS, columns, quote_all=True, encoding="iso-8859-1")

    def salesforce_events(self, path: Path, rows: np.ndarray) -> int:
        """Data Export ``Event.csv`` shape: meetings, the experts' included."""
        a = self.acts
        day, minute = a.day[rows], a.minute[rows]
        who, what, account_id, owner = self._sf_common(rows)
        booked_minute = 8 * 60 + (minute + 17 * a.created_lag[rows]) % 600
        columns = [
            sf_ids("00U", 9_000_000 + 5 * self._activity_serial[rows]),
            who,
            what,
            self._subject(rows, {MEETING: vocab.MEETING_SUBJECTS}),
            self._stamp(day, minute, seconds=True),
            join(self._date(day, "iso"), " 00:00:00"),
            pc.cast(pa.array(a.seconds[rows] // 60), pa.string()),
            owner,
            _constant("Meeting", len(rows)),
            account_id,
            self._stamp(day - a.created_lag[rows], booked_minute, seconds=True),
        ]
        return write_csv(path, SF_EVENT_COLUMNS, columns, quote_all=True, encoding="iso-8859-1")

    def _hs_common(self, rows: np.ndarray, id_base: int):
        a = self.acts
        deal = a.deal[rows]
        return (
            pc.cast(pa.array(id_base + 3 * self._activity_serial[rows]), pa.string()),
            self._stamp(a.day[rows], a.minute[rows]),
            take(self.person_names, a.owner[rows]),
            take(self.deal_ids, deal),
            take(self.deal_names, deal),
        )

    def hubspot_calls(self, path: Path, rows: np.ndarray) -> int:
        """HubSpot calls export."""
        a = self.acts
        rid, when, who, deal_ids, deal_names = self._hs_common(rows, 40_000_000_000)
        columns = [
            rid,
            when,
            who,
            self._subject(rows, {CALL: vocab.TASK_SUBJECTS["call"]}),
            _flag(a.inbound[rows], "Inbound", "Outbound"),
            from_codes(a.outcome[rows], vocab.CALL_OUTCOMES),
            duration_column(a.seconds[rows]),
            deal_ids,
            deal_names,
        ]
        return write_csv(path, HS_CALL_COLUMNS, columns)

    def hubspot_emails(self, path: Path, rows: np.ndarray) -> int:
        """HubSpot emails export."""
        a = self.acts
        rid, when, who, deal_ids, deal_names = self._hs_common(rows, 50_000_000_000)
        columns = [
            rid,
            when,
            who,
            self._subject(rows, {EMAIL: vocab.TASK_SUBJECTS["email"]}),
            _flag(a.inbound[rows], "Incoming", "Outgoing"),
            deal_ids,
            deal_names,
        ]
        return write_csv(path, HS_EMAIL_COLUMNS, columns)

    def hubspot_meetings(self, path: Path, rows: np.ndarray) -> int:
        """HubSpot meetings export, the experts' meetings included."""
        a = self.acts
        rid, when, who, deal_ids, deal_names = self._hs_common(rows, 60_000_000_000)
        end = a.minute[rows] + a.seconds[rows] // 60
        columns = [
            rid,
            when,
            who,
            self._subject(rows, {MEETING: vocab.MEETING_SUBJECTS}),
            from_codes(a.outcome[rows], vocab.MEETING_OUTCOMES),
            when,
            self._stamp(a.day[rows], end),
            deal_ids,
            deal_names,
        ]
        return write_csv(path, HS_MEETING_COLUMNS, columns)

    # -- truth ------------------------------------------------------------------------------
    def event_log(self, path: Path, chunk: int = 200_000) -> int:
        """``_truth/events.csv``: every deal's creation, field values and changes, by deal and day."""
        options = pacsv.WriteOptions(include_header=False)
        total = 0
        with open(path, "wb") as f:
            f.write((",".join(EVENT_LOG_COLUMNS) + "\n").encode())
            for start in range(0, len(self.deals), chunk):
                rows = np.arange(start, min(start + chunk, len(self.deals)))
                table = self._event_rows(rows)
                pacsv.write_csv(table, f, options)
                total += table.num_rows
        return total

    def _event_texts(self) -> tuple[pa.Array, dict[str, int]]:
        """Every text an event's old or new value can be, in one table, and where each kind starts.

        Events are sorted as numbers (codes into this table) and turned into text once, in order.
        """
        if getattr(self, "_texts", None) is None:
            d = self.deals
            amounts = np.unique(
                np.concatenate([d.amount.initial, d.amount.values[d.amount.times < NEVER]])
            )
            kinds = {
                "empty": pa.array([""], pa.string()),
                "owner": self.person_names,  # padded: -1 is the empty name
                "stage": pa.array(
                    [s.strip() for s, _, _ in vocab.SF_STAGES + vocab.HS_STAGES], pa.string()
                ),
                "probability": pa.array([f"{p / 100:g}" for p in range(101)], pa.string()),
                "forecast_category": pa.array(
                    list(vocab.SF_FORECAST + vocab.HS_FORECAST), pa.string()
                ),
                "amount": pa.array([str(int(x)) for x in amounts.tolist()], pa.string()),
                "date": self.days.iso,
                "name": d.names,
            }
            starts, at = {}, 0
            for kind, table in kinds.items():
                starts[kind], at = at, at + len(table)
            self._texts = (pa.concat_arrays(list(kinds.values())), starts, amounts)
        return self._texts

    def _event_rows(self, rows: np.ndarray) -> pa.Table:
        d = self.deals
        src = d.source[rows]
        texts, start, amounts = self._event_texts()
        n_people = len(self.person_names) - 1
        parts = []  # (row, day, field, old, new) with old/new as codes into ``texts``

        def add(field: str, row, day, old, new):
            parts.append((row, day, np.full(len(row), EVENT_FIELDS.index(field)), old, new))

        everyone = np.arange(len(rows))
        none = np.zeros(len(rows), np.int64)

        def add_changes(field, initial, row, day, old, new):
            add(field, everyone, d.created[rows], none, initial)
            keep = old != new
            add(field, row[keep], day[keep], old[keep], new[keep])

        def add_history(field, h: History, code):
            row, day, old, new = h.changes(rows)
            add_changes(
                field, code(h.initial[rows], everyone), row, day, code(old, row), code(new, row)
            )

        add("created", everyone, d.created[rows], none, start["name"] + rows)
        add_history("owner", d.owner, lambda v, r: start["owner"] + np.where(v < 0, n_people, v))
        # Probability and forecast category change with the stage, and only then.
        row, day, old, new = d.stage.changes(rows)
        initial = d.stage.initial[rows]
        of = rows[row]
        add_changes(
            "stage",
            start["stage"] + initial + 7 * src,
            row,
            day,
            start["stage"] + old + 7 * src[row],
            start["stage"] + new + 7 * src[row],
        )
        add_changes(
            "probability",
            start["probability"] + d.probability(initial, rows),
            row,
            day,
            start["probability"] + d.probability(old, of),
            start["probability"] + d.probability(new, of),
        )
        fc = start["forecast_category"]
        add_changes(
            "forecast_category",
            fc + d.forecast(initial, rows) + 5 * src,
            row,
            day,
            fc + d.forecast(old, of) + 5 * src[row],
            fc + d.forecast(new, of) + 5 * src[row],
        )
        add_history("amount", d.amount, lambda v, r: start["amount"] + np.searchsorted(amounts, v))
        add_history("close_date", d.close, lambda v, r: start["date"] + v - self.days.first)
        gone = np.flatnonzero(d.deleted[rows] < NEVER)
        add("deleted", gone, d.deleted[rows][gone], none[gone], none[gone])

        row = np.concatenate([p[0] for p in parts])
        day = np.concatenate([p[1] for p in parts])
        field = np.concatenate([p[2] for p in parts])
        # By deal, day and field; a stable sort keeps the order the parts were added in.
        first = int(day.min()) if len(day) else 0
        span = int(day.max()) - first + 1 if len(day) else 1
        key = (row.astype(np.int64) * span + (day - first)) * len(EVENT_FIELDS) + field
        order = np.argsort(key, kind="stable")
        row, day, field = row[order], day[order], field[order]
        old = np.concatenate([p[3] for p in parts])[order]
        new = np.concatenate([p[4] for p in parts])[order]
        deal = rows[row]
        return pa.table(
            [
                from_codes(d.source[deal], SOURCE_NAMES),
                take(self.deal_ids, deal),
                self._date(day, "iso"),
                from_codes(field, EVENT_FIELDS),
                texts.take(pa.array(old)),
                texts.take(pa.array(new)),
            ],
            names=EVENT_LOG_COLUMNS,
        )


def write_roster(path: Path, org: Org) -> int:
    """``roster.csv``: everyone, with a second, dated row for each rep who changed team.

    The Manager column is the reporting chain: AEs and SEs name their team's manager, managers
    their director, directors the VP; the VP and the directors have no team.
    """
    records = []
    for p in range(org.n_people):
        role = str(org.roles[p])
        for team, effective in [(org.team_before[p], None)] + (
            [(org.team_after[p], org.move_day[p])] if org.move_day[p] < NEVER else []
        ):
            # A manager's own line runs up the chain; everyone else's is their team's manager.
            chain = team < 0 or role == "Manager"
            boss = org.reports_to[p] if chain else org.team_manager[team]
            on_hubspot = team >= 0 and org.team_source[team] == HUBSPOT
            records.append(
                {
                    "Rep": org.names[p],
                    "Email": org.emails[p],
                    "Team": org.team_names[team] if team >= 0 else "",
                    "Manager": org.names[boss] if boss >= 0 else "",
                    "Role": role,
                    "Start Date": Timeline.date(org.start_day[p]).isoformat(),
                    "CRM User ID": org.emails[p] if on_hubspot else org.sf_user_ids[p].as_py(),
                    "Effective From": Timeline.date(effective).isoformat()
                    if effective is not None
                    else "",
                }
            )
    pd.DataFrame(records, columns=ROSTER_COLUMNS).to_csv(path, index=False)
    return len(records)


def write_calls(path: Path, calls: pd.DataFrame, org: Org, tl: Timeline) -> int:
    """``calls.csv``: ``Person,Quarter,Submitted,Commit,Best Case,Note``, dates ISO, plain numbers."""
    df = pd.DataFrame(
        {
            "Person": np.array(org.names, object)[calls["person"].to_numpy()],
            "Quarter": calls["quarter"].to_numpy(),
            "Submitted": [tl.date(d).isoformat() for d in calls["day"].tolist()],
            "Commit": calls["commit"].to_numpy(),
            "Best Case": calls["best_case"].to_numpy(),
            "Note": calls["note"].to_numpy(),
        }
    )
    df.to_csv(path, index=False)
    return len(df)


def write_quotas(path: Path, rows: list[tuple[str, str, float]]) -> int:
    """``quotas.csv``: ``Rep,Quarter,Quota`` with plain numbers."""
    df = pd.DataFrame(rows, columns=QUOTA_COLUMNS)
    df["Quota"] = df["Quota"].map(lambda v: str(int(v)))
    df.to_csv(path, index=False)
    return len(df)


def write_enablement(path: Path, rows: pd.DataFrame, org: Org) -> int:
    """``enablement.csv``: the LMS export, dates ``M/D/YYYY``."""
    person = rows["person"].to_numpy()
    dated = rows[["assigned", "due", "completed"]].to_numpy()
    days = DayFormats(int(dated.min()), int(dated[dated < NEVER].max()))
    df = pd.DataFrame(
        {
            "User Email": np.array(org.emails, object)[person],
            "User Name": np.array(org.names, object)[person],
            "Program": rows["Program"].to_numpy(),
            "Program Type": rows["Program Type"].to_numpy(),
            "Required": rows["Required"].to_numpy(),
            "Assigned Date": days.column(rows["assigned"].to_numpy(), "mdy").to_pylist(),
            "Due Date": days.column(rows["due"].to_numpy(), "mdy").to_pylist(),
            "Completed Date": days.column(rows["completed"].to_numpy(), "mdy").to_pylist(),
            "Score (%)": [("" if np.isnan(s) else str(int(s))) for s in rows["score"].to_numpy()],
        }
    )
    df.to_csv(path, index=False)
    return len(df)

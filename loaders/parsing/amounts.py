"""Numbers in export text: money, plain numbers, probabilities and durations.

Rules:

* The decimal mark is decided once per column, from evidence (``decimal_separator``): both marks in
  a value, the last is decimal; one mark repeated, it groups thousands; one mark once and not
  followed by exactly three digits, it is decimal. The majority decides; ``.`` when nothing tells.
* Thousands grouping must be regular (``1,234,567``, Indian ``12,34,567``, ``1.234.567``); spaces,
  apostrophes and no-break spaces group too.
* Money may carry a currency code or symbol before or after (``USD 1,234.00``, ``$1,234``,
  ``1.234,56 €``), a multiplier (``$2K``, ``0.5M``, ``1.2 Mio``), and a sign or accounting
  parentheses (``(1,234.00)``); each row's currency code is kept (``$`` is USD).
* Probabilities become a 0..1 fraction: percent when any value is above 1 or carries ``%``;
  values outside 0..100 % are unreadable.
* Durations are seconds, from ``HH:mm:ss``, ``mm:ss`` (or ``hh:mm``) or a plain number of seconds,
  milliseconds or minutes; negative durations are unreadable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders.parsing.columns import Distinct, Parsed, group, group_float, np_bool, np_float

_CURRENCY_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "R$": "BRL",
    "₩": "KRW",
    "₽": "RUB",
    "C$": "CAD",
    "A$": "AUD",
    "CHF": "CHF",
    "kr": "SEK",
    "zł": "PLN",
}
_AMOUNT_RE = (
    r"^(?P<lp>\()?\s*(?P<s1>[-+\x{2212}])?\s*"
    r"(?P<c1>US\$|R\$|C\$|A\$|[A-Za-z]{3}|[$€£¥₹₩₽])?\s*(?P<s2>[-\x{2212}])?\s*"
    r"(?P<num>\d[\d,.'\x{2019} \x{a0}\x{202f}]*\d|\d|[.,]\d+)\s*"
    r"(?P<mult>[kKmMbB]|MM|mm|mn|bn|Mio\.?|Mrd\.?)?\s*"
    r"(?P<c2>[A-Za-z]{3}|[$€£¥₹₩₽]|kr|zł)?\s*(?P<s3>-)?\s*(?P<rp>\))?$"
)
_MULTIPLIERS = {
    "k": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "mio.": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "mrd": 1e9,
    "mrd.": 1e9,
}
_GROUPED = {
    ".": r"^(?:\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})+,\d{3}|\d+)(?:\.\d*)?$|^\.\d+$",
    ",": r"^(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?$|^,\d+$",
}


def decimal_separator(values: pa.Array) -> str | None:
    """Which of ``.`` and ``,`` is the decimal mark in a column of number texts, from evidence.

    Both marks in one value: the last is decimal. One mark repeated: it groups thousands, so the
    other is decimal. One mark once, not followed by exactly three digits: it is decimal. The
    majority of values with evidence decides; None when nothing tells (``1,234`` reads either way).
    Currency symbols and codes around the number do not matter.
    """
    if len(values) == 0:
        return None
    commas = pc.count_substring(values, ",").to_numpy(zero_copy_only=False)
    dots = pc.count_substring(values, ".").to_numpy(zero_copy_only=False)
    dot_votes = comma_votes = 0
    both = (commas > 0) & (dots > 0)
    if both.any():
        last_dot = np_bool(pc.match_substring_regex(values.filter(pa.array(both)), r"\.[^,]*$"))
        dot_votes += int(last_dot.sum())
        comma_votes += int((~last_dot).sum())
    for count, other, mark in ((commas, dots, ","), (dots, commas, ".")):
        alone = (count > 0) & (other == 0)
        repeated = int((alone & (count > 1)).sum())
        once = alone & (count == 1)
        decided = 0
        if once.any():
            three = np_bool(
                pc.match_substring_regex(
                    values.filter(pa.array(once)), rf"\{mark}\d{{3}}(?:[^\d]*)$"
                )
            )
            decided = int((~three).sum())
        if mark == ",":
            dot_votes += repeated
            comma_votes += decided
        else:
            comma_votes += repeated
            dot_votes += decided
    if dot_votes == comma_votes == 0:
        return None
    return "," if comma_votes > dot_votes else "."


def _number_text_to_float(numbers: pa.Array, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, ok) for digit texts with ``,``/``.`` marks, thousands grouping checked."""
    cleaned = pc.replace_substring_regex(numbers, r"['\x{2019} \x{a0}\x{202f}]", "")
    ok = np_bool(pc.match_substring_regex(cleaned, _GROUPED[decimal]))
    if decimal == ".":
        plain = pc.replace_substring(cleaned, ",", "")
    else:
        plain = pc.replace_substring(pc.replace_substring(cleaned, ".", ""), ",", ".")
    plain = pc.if_else(pa.array(ok), plain, None)
    values = np_float(plain)
    ok &= ~np.isnan(values)
    return values, ok


_PLAIN = {
    ".": r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$",
    ",": r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$",
}
# Prefixes common enough to deserve a fast path: (regex, characters to drop, currency or None
# to take the first three characters as the code).
_PREFIXES = ((r"[A-Z]{3} ", 4, None), (r"\$", 1, "USD"), (r"€", 1, "EUR"), (r"£", 1, "GBP"))
# Suffixes likewise: (regex, (currency, symbol) or None to take the last three characters).
_SUFFIXES = ((r"[ \x{a0}\x{202f}]?€", ("EUR", "€")), (r" [A-Z]{3}", None))


def _plain_to_float(numbers: pa.Array, decimal: str) -> np.ndarray:
    if decimal == ".":
        text = pc.replace_substring(numbers, ",", "")
    else:
        text = pc.replace_substring(pc.replace_substring(numbers, ".", ""), ",", ".")
    return np_float(text)


def parse_amounts(
    column: pa.Array | pa.ChunkedArray | Sequence[str | None], *, decimal: str | None = None
) -> Parsed:
    """Money texts to floats: ``USD 1,234.00``, ``$1,234``, ``1.234,56 €``, ``$2K``, ``$0.5M``,
    ``(1,234.00)``, ``-500``.

    The decimal mark is decided for the whole column (``decimal_separator``) unless given.
    ``note["currency"]`` holds each row's currency code (``USD`` for ``$``) or None, and
    ``note["decimal"]`` the mark used. Plain numbers, optionally after a currency code or symbol,
    take a fast path; everything else goes through one general pattern.
    """
    d = Distinct.of(column)
    vals = d.values
    n = len(vals)
    empty = d.empty
    plain = None
    if decimal in (None, "."):
        plain = np_bool(pc.match_substring_regex(vals, _PLAIN["."])) & ~empty
        # every value a plain English number: nothing can argue for a decimal comma
        if decimal is None and (plain | empty).all():
            decimal = "."
    if decimal is None:
        decimal = decimal_separator(vals) or "."
    if plain is None or decimal != ".":
        plain = np_bool(pc.match_substring_regex(vals, _PLAIN[decimal])) & ~empty
    values = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    index = np.full(n, -1, dtype=np.int16)  # currency of each value, into ``names``
    names: list[str] = []

    def code_of(found: Sequence[str | None]) -> np.ndarray:
        codes, uniques = pd.factorize(np.asarray(found, dtype=object), use_na_sentinel=True)
        for c in uniques:
            if c not in names:
                names.append(c)
        per = np.array([names.index(c) for c in uniques] + [-1], dtype=np.int16)
        return per[codes]

    todo = ~empty
    plain_body = _PLAIN[decimal][1:]
    if plain.any():
        values[plain] = _plain_to_float(vals.filter(pa.array(plain)), decimal)
        todo &= ~plain
    for prefix, drop, code in _PREFIXES:
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        sub = vals.take(pa.array(idx))
        hit = np_bool(pc.match_substring_regex(sub, "^" + prefix + plain_body))
        if not hit.any():
            continue
        rows = idx[hit]
        chosen = sub.filter(pa.array(hit))
        values[rows] = _plain_to_float(pc.utf8_slice_codeunits(chosen, drop), decimal)
        if code is None:
            found = pc.dictionary_encode(pc.utf8_slice_codeunits(chosen, 0, 3))
            per = code_of(found.dictionary.to_pylist())
            index[rows] = per[found.indices.to_numpy(zero_copy_only=False)]
        else:
            index[rows] = code_of([code])[0]
        todo[rows] = False
    for suffix, code in _SUFFIXES:
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        sub = vals.take(pa.array(idx))
        hit = np_bool(pc.match_substring_regex(sub, plain_body[:-1] + suffix + "$"))
        if not hit.any():
            continue
        rows = idx[hit]
        chosen = sub.filter(pa.array(hit))
        if code is None:
            number = pc.utf8_slice_codeunits(chosen, 0, -4)
            found = pc.dictionary_encode(pc.utf8_slice_codeunits(chosen, -3))
            per = code_of(found.dictionary.to_pylist())
            index[rows] = per[found.indices.to_numpy(zero_copy_only=False)]
        else:
            number = pc.utf8_rtrim(chosen, characters=" \u00a0\u202f" + code[1])
            index[rows] = code_of([code[0]])[0]
        values[rows] = _plain_to_float(number, decimal)
        todo[rows] = False
    if todo.any():
        idx = np.flatnonzero(todo)
        v, b, c = _parse_amounts_general(vals.take(pa.array(idx)), decimal)
        values[idx] = v
        bad[idx] = b
        index[idx] = code_of(list(c))
    values[bad | empty] = np.nan
    index = d.spread(index)
    lookup = np.array([None, *names], dtype=object)
    return Parsed(
        d.spread(values),
        d.spread(bad),
        d.spread(empty),
        {
            "currency": lookup[index + 1],
            "currency_index": index,
            "currency_names": names,
            "decimal": decimal,
        },
    )


def _parse_amounts_general(
    vals: pa.Array, decimal: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = pc.extract_regex(vals, _AMOUNT_RE)
    matched = np_bool(m.is_valid())
    num = group(m, "num")
    values, ok = _number_text_to_float(pc.fill_null(num, ""), decimal)
    lp = np_bool(pc.is_valid(group(m, "lp")))
    rp = np_bool(pc.is_valid(group(m, "rp")))
    neg = lp & rp
    signs = np.zeros(len(values), dtype=np.int64)
    for g in ("s1", "s2", "s3"):
        minus = np_bool(pc.is_in(group(m, g), pa.array(["-", "\u2212"])))
        neg ^= minus
        signs += minus
    signs += lp & rp
    mult_txt = np.asarray(
        pc.fill_null(pc.utf8_lower(group(m, "mult")), "").to_numpy(zero_copy_only=False),
        dtype=object,
    )
    mult = np.ones(len(values))
    if any(mult_txt):
        for key, factor in _MULTIPLIERS.items():
            mult[mult_txt == key] = factor
    scaled = np.where(mult != 1, np.round(values * mult, 6), values)
    values = np.where(neg, -scaled, scaled)
    bad = ~(matched & ok & (lp == rp)) | (signs > 1)
    cur = pc.coalesce(group(m, "c1"), group(m, "c2"))
    cur_txt = np.asarray(
        pc.fill_null(pc.utf8_trim_whitespace(cur), "").to_numpy(zero_copy_only=False), dtype=object
    )
    codes = np.array(
        [_CURRENCY_SYMBOLS.get(c, c.upper()) if c else None for c in cur_txt], dtype=object
    )
    return values, bad, codes


def parse_numbers(
    column: pa.Array | pa.ChunkedArray | Sequence[str | None], *, decimal: str | None = None
) -> Parsed:
    """Plain numbers (counts, seconds, minutes); thousands marks allowed, no currency."""
    d = Distinct.of(column)
    m = pc.extract_regex(
        d.values, r"^(?P<sign>[-+\x{2212}])?\s*(?P<num>\d[\d,.' \x{a0}]*|[.,]\d+)$"
    )
    num = group(m, "num")
    if decimal is None:
        decimal = decimal_separator(pc.drop_null(num)) or "."
    values, ok = _number_text_to_float(pc.fill_null(num, ""), decimal)
    neg = np_bool(pc.is_in(group(m, "sign"), pa.array(["-", "\u2212"])))
    values = np.where(neg, -values, values)
    empty = d.empty
    bad = ~empty & ~(np_bool(m.is_valid()) & ok)
    values[bad | empty] = np.nan
    return Parsed(d.spread(values), d.spread(bad), d.spread(empty), {"decimal": decimal})


def parse_probabilities(
    column: pa.Array | pa.ChunkedArray | Sequence[str | None], *, scale: str | None = None
) -> Parsed:
    """Probabilities to a 0..1 fraction.

    Args:
        scale: ``"percent"`` (``40`` is 40 %), ``"fraction"`` (``0.4``), or None to decide for the
            column: percent when any value is above 1 or carries ``%``.
    """
    d = Distinct.of(column)
    has_pct = np_bool(pc.match_substring(d.values, "%"))
    stripped = pc.utf8_trim_whitespace(pc.replace_substring(d.values, "%", ""))
    nums = parse_numbers(stripped)
    values = nums.values.copy()
    if scale is None:
        finite = values[~np.isnan(values)]
        scale = "percent" if (has_pct.any() or (finite > 1).any()) else "fraction"
    if scale == "percent":
        values = values / 100.0
    empty = d.empty
    bad = nums.bad.copy()
    out_of_range = ~np.isnan(values) & ((values < 0) | (values > 1 + 1e-9))
    bad |= out_of_range
    values[bad] = np.nan
    values = np.clip(values, 0, 1)
    return Parsed(d.spread(values), d.spread(bad), d.spread(empty), {"scale": scale})


def parse_durations(
    column: pa.Array | pa.ChunkedArray | Sequence[str | None],
    *,
    number_unit: str = "s",
    two_part: str = "mm:ss",
) -> Parsed:
    """Durations in seconds from ``HH:mm:ss``, ``mm:ss`` or a plain number.

    Args:
        number_unit: what a plain number counts: ``"s"``, ``"ms"`` or ``"min"``.
        two_part: how ``12:30`` reads: ``"mm:ss"`` (HubSpot) or ``"hh:mm"`` (Pipedrive).
    """
    d = Distinct.of(column)
    m = pc.extract_regex(
        d.values, r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{1,2})(?:[.,](?P<f>\d+))?$"
    )
    hms = np_bool(m.is_valid())
    h = np.nan_to_num(group_float(m, "h"))
    mi = group_float(m, "m")
    s = group_float(m, "s")
    if two_part == "hh:mm":
        short = np.isnan(group_float(m, "h"))
        h = np.where(short, mi, h)
        mi = np.where(short, s, mi)
        s = np.where(short, 0.0, s)
    frac_txt = pc.fill_null(group(m, "f"), "0")
    frac = np_float(pc.binary_join_element_wise("0.", frac_txt, ""))
    secs = h * 3600 + mi * 60 + s + np.nan_to_num(frac)
    nums = parse_numbers(d.values)
    factor = {"s": 1.0, "ms": 0.001, "min": 60.0}[number_unit]
    values = np.where(hms, secs, nums.values * factor)
    empty = d.empty
    bad = ~empty & ~hms & (nums.bad | np.isnan(nums.values))
    bad |= ~np.isnan(values) & (values < 0)
    values[bad | empty] = np.nan
    return Parsed(d.spread(values), d.spread(bad), d.spread(empty))

"""How a refused upload's message is split for the Data page's alert (a model function: a unit
test that imports a page module registers its callbacks outside any app, and the next app built
in that process then misses them)."""

from dashboard.models.data import split_message


def test_an_unknown_layout_says_what_was_found_and_puts_the_advice_behind_a_disclosure():
    message = (
        "deals.csv: no format Team Car knows reads these columns (line 1: 'foo', 'bar').\n"
        "Draft a mapping for it with `teamcar map deals.csv` (then load with --mapping, or "
        "save it with --save NAME to have it read by itself)."
    )
    head, more = split_message(message, "deals.csv")
    assert head == "no format Team Car knows reads these columns (line 1: 'foo', 'bar')."
    assert more.startswith("Draft a mapping for it with `teamcar map deals.csv`")


def test_a_one_line_message_has_nothing_behind_it():
    head, more = split_message("other.csv: line 4, column Amount: expected a number", "x.csv")
    assert head == "other.csv: line 4, column Amount: expected a number"
    assert more == ""

"""Configuration: parsing, errors, and a README entry for every setting. No database, no browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.config import SETTINGS, ConfigError, load_config, parse_weights

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_in_the_readme(setting):
    assert f"`{setting.name}`" in README.read_text()


def test_defaults(tmp_path):
    cfg = load_config({"TEAMCAR_DATA_DIR": str(tmp_path)})
    assert cfg.database_url == f"sqlite:///{tmp_path / 'teamcar.db'}"
    assert (cfg.fiscal_year_start_month, cfg.stale_days) == (1, 14)
    assert cfg.readiness_weights == {"enablement": 1, "skill": 1, "activity": 1, "hygiene": 1}
    assert cfg.cache_url is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TEAMCAR_FISCAL_YEAR_START_MONTH": "13"}, "from 1 to 12"),
        ({"TEAMCAR_FISCAL_YEAR_START_MONTH": "feb"}, "whole number"),
        ({"TEAMCAR_STALE_DAYS": "0"}, "from 1 to 365"),
        ({"TEAMCAR_READINESS_WEIGHTS": "speed=2"}, "expected name=weight"),
        ({"TEAMCAR_READINESS_WEIGHTS": "skill=-1"}, ">= 0"),
        ({"TEAMCAR_READINESS_WEIGHTS": "skill=lots"}, "not a number"),
    ],
)
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_config(env)
    assert next(iter(env)) in str(info.value)


def test_partial_weights_keep_the_others_at_one():
    assert parse_weights("skill=2, hygiene=0") == {
        "enablement": 1.0,
        "skill": 2.0,
        "activity": 1.0,
        "hygiene": 0.0,
    }

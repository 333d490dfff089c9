"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def example_path() -> Path:
    return SCENARIOS / "example.yaml"


@pytest.fixture(autouse=True)
def _no_user_config_or_locale(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line reads a config file from the user's config folder and the language
    from the locale: neither of the machine running the tests may change what they see."""
    monkeypatch.setenv("CLUSTERSIM_CONFIG_DIR", str(tmp_path_factory.mktemp("user-config")))
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(autouse=True, scope="session")
def _no_scenario_cache() -> Iterator[None]:
    """``clustersim run`` keeps validated scenarios in the user's cache folder: off for the
    whole session (module-scoped fixtures run commands too), or every test's temporary
    scenario would leave an entry there. tests/cli/test_scenario_cache.py turns it on."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLUSTERSIM_NO_CACHE", "1")
        yield

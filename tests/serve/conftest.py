"""Fixtures of the what-if page's tests: one session over the tutorial scenario, its app
under Starlette's test client (addressed to 127.0.0.1, the host the app accepts)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("starlette", reason="clustersim serve needs the 'serve' extra (starlette)")

from starlette.testclient import TestClient
from tests.serve.common import EXAMPLE, SAMPLES, SEED

from clustersim.serve import Session, create_app


@pytest.fixture(scope="module")
def session() -> Session:
    return Session(EXAMPLE, samples=SAMPLES, seed=SEED)


@pytest.fixture(scope="module")
def client(session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(session, lang="en"), base_url="http://127.0.0.1") as c:
        yield c

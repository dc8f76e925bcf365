"""``/metrics`` under a real gunicorn with two worker processes: prometheus-client's
multiprocess mode adds up every worker's counts, whichever worker answers the scrape, keeps a
killed worker's counts, and starts from nothing (stale files of an earlier server are wiped)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.threads import run_in_threads
from tests.support.processes import TIMEOUT, wait_for
from tests.system.servers import bank_server, hours_body

pytestmark = pytest.mark.system

WORKERS = 2
CLIENTS = 8
PER_CLIENT = 10
HEALTHZ = {"method": "GET", "route": "/healthz", "status": "200"}
STALE = 1000.0


def scrape(base_url: str) -> dict[str, float]:
    """``name{labels}`` -> value, from one scrape on a connection of its own."""
    response = requests.get(f"{base_url}/metrics", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def healthz_count(samples: dict[str, float]) -> float:
    labels = ",".join(f"{k}={v}" for k, v in sorted(HEALTHZ.items()))
    return samples.get(f"creditbank_http_requests_total{{{labels}}}", 0.0)


def hit_healthz(base_url: str) -> int:
    """CLIENTS threads at once, each request on a new connection; returns how many."""

    def work(_index: int) -> int:
        for _ in range(PER_CLIENT):
            assert requests.get(f"{base_url}/healthz", timeout=TIMEOUT).status_code == 200
        return PER_CLIENT

    return sum(run_in_threads(CLIENTS, work))


def pids_with_counts(directory: Path) -> set[int]:
    return {int(path.stem.rsplit("_", 1)[1]) for path in directory.glob("counter_*.db")}


def seed_stale_counts(directory: Path) -> None:
    """What a previous server would have left: 1000 requests to /healthz by pid 1."""
    directory.mkdir(parents=True, exist_ok=True)
    stale = MmapedDict(str(directory / "counter_1.db"))
    key = mmap_key(
        "creditbank_http_requests",
        "creditbank_http_requests_total",
        list(HEALTHZ),
        list(HEALTHZ.values()),
        "stale",
    )
    stale.write_value(key, STALE, 0.0)
    stale.close()


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory):
    instance = tmp_path_factory.mktemp("metrics")
    metrics_dir = instance / "prometheus"
    seed_stale_counts(metrics_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
        # Sync workers (one request at a time each): concurrent clients spread over both.
        with bank_server("sqlite", instance, workers=WORKERS, threads=1) as bank:
            yield bank, metrics_dir


def hit_every_worker(bank, metrics_dir: Path) -> int:
    """Requests to /healthz until each worker has answered some (bounded); how many."""
    sent = 0
    for _ in range(5):
        sent += hit_healthz(bank.base_url)
        if pids_with_counts(metrics_dir) >= set(bank.server.worker_pids()):
            break
    return sent


def test_every_scrape_counts_the_requests_of_every_worker(bank):
    bank, metrics_dir = bank
    assert not (metrics_dir / "counter_1.db").exists()  # the stale file was wiped at start
    before = healthz_count(scrape(bank.base_url))
    assert before < STALE

    sent = hit_every_worker(bank, metrics_dir)

    assert pids_with_counts(metrics_dir) >= set(bank.server.worker_pids()), "all counted"
    for _ in range(6):  # whichever worker answers, the sum is the same
        assert healthz_count(scrape(bank.base_url)) == before + sent


def test_business_counters_add_up_across_workers(bank):
    bank, _ = bank
    learner = bank.new_learner()
    bodies = [hours_body(learner, f"metrics-{index:02d}", hours="16") for index in range(12)]

    replies = bank.post_all(bodies, clients=4)

    assert [status for status, _ in replies] == [201] * 12
    samples = scrape(bank.base_url)
    assert samples["creditbank_outcomes_posted_total{}"] == 12  # the first posts of this bank
    assert samples["creditbank_credits_granted_tenths_total{}"] == 120  # 12 x 1.0 credit


def test_a_killed_workers_counts_stay_in_the_sum(bank):
    bank, metrics_dir = bank
    before = healthz_count(scrape(bank.base_url))
    sent = hit_every_worker(bank, metrics_dir)
    victim = bank.server.worker_pids()[0]

    os.kill(victim, signal.SIGKILL)  # a worker of the gunicorn this test started
    wait_for(
        lambda: (
            victim not in bank.server.worker_pids() and len(bank.server.worker_pids()) == WORKERS
        ),
        30,
        "gunicorn replaces the killed worker",
    )

    assert healthz_count(scrape(bank.base_url)) == before + sent

"""``GET /metrics``: Prometheus text, public; requests counted by route and status, latency
histograms, outcomes posted, credits granted and audit results. One process here (the default
registry), so each test compares the counters before and after what it does."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from creditbank import metrics


def scrape(api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``: (name, sorted labels) -> value."""
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def requests_of(samples, method: str, route: str, status: str) -> float:
    return value(
        samples, "creditbank_http_requests_total", method=method, route=route, status=status
    )


def test_metrics_are_public_prometheus_text(api):
    response = api.get("/metrics")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE creditbank_http_requests_total counter" in response.get_data(as_text=True)


def test_requests_are_counted_by_url_rule_and_status(api):
    learner = api.new_learner()
    before = scrape(api)

    assert api.get(f"/api/v1/learners/{learner}", api.workstation).status_code == 200
    nobody = "L" + "0" * 26  # an identifier's shape (a ULID), of no learner
    assert api.get(f"/api/v1/learners/{nobody}", api.workstation).status_code == 404
    assert api.get("/no/such/path").status_code == 404
    after = scrape(api)

    rule = "/api/v1/learners/<id:learner_id>"
    assert requests_of(after, "GET", rule, "200") - requests_of(before, "GET", rule, "200") == 1
    assert requests_of(after, "GET", rule, "404") - requests_of(before, "GET", rule, "404") == 1
    unmatched = requests_of(after, "GET", "<unmatched>", "404")
    assert unmatched - requests_of(before, "GET", "<unmatched>", "404") == 1
    raw_paths = [
        labels for name, labels in after if ("route", f"/api/v1/learners/{learner}") in labels
    ]
    assert raw_paths == []  # one series per route, not per learner


def test_unknown_methods_and_paths_each_share_one_label(api):
    """A client choosing methods and paths cannot make new series: anything outside HTTP's
    own methods is ``other``, any path that matches no route is ``<unmatched>``."""
    before = scrape(api)

    for number in range(5):
        assert api.call(f"BREW{number}", f"/no/such/path/{number}").status_code == 404
        assert api.call(f"PROPFIND{number}", "/healthz").status_code == 405
    after = scrape(api)

    http = [dict(labels) for name, labels in after if name.startswith("creditbank_http_")]
    methods = {labels["method"] for labels in http}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    for status in ("404", "405"):
        other = requests_of(after, "other", "<unmatched>", status)
        assert other - requests_of(before, "other", "<unmatched>", status) == 5
    assert not any(labels["route"].startswith("/no/such") for labels in http)


def test_latency_is_a_histogram_per_route(api):
    before = scrape(api)

    for _ in range(3):
        api.get("/healthz")
    after = scrape(api)

    labels = {"method": "GET", "route": "/healthz"}
    count = "creditbank_http_request_duration_seconds_count"
    assert value(after, count, **labels) - value(before, count, **labels) == 3
    infinite = value(after, "creditbank_http_request_duration_seconds_bucket", le="+Inf", **labels)
    assert infinite == value(after, count, **labels)
    assert value(after, "creditbank_http_request_duration_seconds_sum", **labels) > 0


def test_posted_outcomes_and_granted_credits_are_counted_once(api):
    learner = api.new_learner()
    api.publish_ruleset()
    _, provider = api.new_provider()
    before = scrape(api)

    first = api.post_outcome(provider, learner, external_ref="m-1", hours="16")
    replay = api.post_outcome(provider, learner, external_ref="m-1", hours="16")
    second = api.post_outcome(provider, learner, external_ref="m-2", hours="8")
    after = scrape(api)

    assert (first.status_code, replay.status_code, second.status_code) == (201, 200, 201)
    posted = "creditbank_outcomes_posted_total"
    assert value(after, posted) - value(before, posted) == 2  # the replay adds nothing
    granted = "creditbank_credits_granted_tenths_total"
    assert value(after, granted) - value(before, granted) == 15  # 1.0 + 0.5, in tenths


def test_a_void_grants_nothing_and_a_refused_batch_counts_nothing(api):
    learner = api.new_learner()
    api.publish_ruleset()
    _, provider = api.new_provider()
    posted = api.post_outcome(provider, learner, hours="16").get_json()["outcome"]["id"]
    before = scrape(api)

    voided = api.post(f"/api/v1/outcomes/{posted}/void", provider, json={"reason": "录入错误"})
    refused = api.post(
        "/api/v1/outcomes",
        provider,
        json={
            "items": [
                {
                    "learner_id": learner,
                    "external_ref": "batch-ok",
                    "kind": "training_hours",
                    "hours": "16",
                    "category": "theory",
                    "achieved_on": "2026-01-15",
                },
                {
                    "learner_id": "L0NOSUCHLEARNER",
                    "external_ref": "batch-bad",
                    "kind": "training_hours",
                    "hours": "16",
                    "category": "theory",
                    "achieved_on": "2026-01-15",
                },
            ]
        },
    )
    after = scrape(api)

    assert (voided.status_code, refused.status_code) == (201, 422)
    for name in ("creditbank_outcomes_posted_total", "creditbank_credits_granted_tenths_total"):
        assert value(after, name) == value(before, name), name


def test_audit_results_are_counted_by_status(api):
    before = scrape(api)

    metrics.record_audit("passed")
    metrics.record_audit("passed")
    metrics.record_audit("failed")
    after = scrape(api)

    total = "creditbank_audits_total"
    assert value(after, total, status="passed") - value(before, total, status="passed") == 2
    assert value(after, total, status="failed") - value(before, total, status="failed") == 1


def test_journal_entries_rolled_back_after_a_flush_are_not_counted(api):
    from datetime import UTC, datetime

    from creditbank.extensions import db
    from creditbank.models import JournalEntry

    learner = api.new_learner()
    before = scrape(api)

    session = db.session()
    for seq, kind, delta in ((90, "outcome", None), (91, "credit", 20)):
        session.add(
            JournalEntry(
                learner_id=learner,
                seq=seq,
                kind=kind,
                recorded_at=datetime.now(UTC),
                prev_hash="0" * 64,
                hash=f"{seq}".rjust(64, "0"),
                delta=delta,
            )
        )
    session.flush()  # tallied here...
    session.rollback()  # ...and forgotten here
    api.new_learner()  # the next commit of this session must not record them
    after = scrape(api)

    for name in ("creditbank_outcomes_posted_total", "creditbank_credits_granted_tenths_total"):
        assert value(after, name) == value(before, name), name


def test_an_audit_run_through_the_api_is_counted_by_its_result(api):
    learner = api.new_learner()
    api.publish_ruleset()
    _, provider = api.new_provider()
    api.post_outcome(provider, learner, hours="16")
    before = scrape(api)

    response = api.post("/api/v1/audits", api.workstation, json={})
    after = scrape(api)

    assert response.status_code == 201, response.get_json()
    status = response.get_json()["status"]
    total = "creditbank_audits_total"
    assert status == "passed"
    assert value(after, total, status="passed") - value(before, total, status="passed") == 1
    assert value(after, total, status="failed") == value(before, total, status="failed")

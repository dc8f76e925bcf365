"""The walkthrough of docs/api.md, through the test client: the path every user takes first."""


def test_post_outcome_and_read_balance_and_ledger(api):
    api.publish_ruleset()
    learner = api.new_learner()
    _, provider = api.new_provider()

    first = api.post_outcome(provider, learner, hours="10")
    second = api.post_outcome(provider, learner, hours=14)

    assert first.status_code == 201
    assert first.get_json()["outcome"]["credits"] == "0.5"
    assert first.get_json()["outcome"]["reason"] == "accumulating"
    assert [c["delta"] for c in second.get_json()["credits"]] == ["1.0"]
    balance = api.get(f"/api/v1/learners/{learner}/balance", api.workstation).get_json()
    assert balance["total"] == "1.5"
    assert balance["by_category"] == {"theory": "1.5"}
    account = api.get(f"/api/v1/learners/{learner}", api.workstation).get_json()["account_number"]
    ledger = api.get(f"/api/v1/learners/{learner}/ledger", api.learner_headers(account))
    assert [entry["kind"] for entry in ledger.get_json()["items"]] == [
        "outcome",
        "credit",
        "outcome",
        "credit",
    ]

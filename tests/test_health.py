from django_q.conf import Conf

HEALTH = "/api/automation/health"


def test_it_reports_each_dependency_without_credentials(db, anon_client, owner):
    response = anon_client.get(HEALTH)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert set(body["jobs"]) == {"pending", "processing", "completed", "failed", "cancelled"}
    assert body["providers"]["text"]["default"] == "builtin"
    assert "clusters" in body["workers"]


def test_it_answers_503_when_the_broker_is_down(db, anon_client, monkeypatch):
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:9/0")

    response = anon_client.get(HEALTH)

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert "Connection" in response.json()["broker"]["error"]

from tests.support.brokers import use_redis_broker

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
    use_redis_broker(monkeypatch)  # nothing listens there

    response = anon_client.get(HEALTH)

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert "Connection" in response.json()["broker"]["error"]


def test_it_probes_remote_default_providers_without_failing_the_service(db, anon_client, settings):
    from tests.support.comfyui_server import ComfyUIStandIn
    from tests.support.openai_server import OpenAIServer

    llm_server = OpenAIServer()
    with ComfyUIStandIn() as comfy:
        settings.STORYCORE_TEXT_PROVIDER = "llm"
        settings.STORYCORE_LLM_URL = llm_server.url
        settings.STORYCORE_LLM_MODEL = "llama3.1"
        settings.STORYCORE_IMAGE_PROVIDER = "comfyui"
        settings.STORYCORE_COMFYUI_URL = "http://127.0.0.1:9"  # nothing listens there

        response = anon_client.get(HEALTH)

        assert response.status_code == 200
        providers = response.json()["providers"]
        assert providers["text"] == {"default": "llm", "ok": True, "url": llm_server.url, "model": "llama3.1",
                                     "model_listed": True, "status": 200}  # fmt: skip
        assert providers["image"]["ok"] is False
        assert providers["image"]["url"] == "http://127.0.0.1:9"

        settings.STORYCORE_COMFYUI_URL = comfy.url
        assert anon_client.get(HEALTH).json()["providers"]["image"]["ok"] is True
    llm_server.close()

"""Rows for the benchmark: users, request parameters taken from the real API, and bulk
history (bulk_create in batches; this is set-up, never timed)."""
import io
import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from automation.models import (
    CharacterGrid,
    Dialogue,
    DialogueLine,
    GenerationJob,
    GridPanel,
    PromptEnhancement,
)
from automation.models.grids import panel_path, sheet_path

BATCH = 2000
LINES_PER_DIALOGUE = 6
Status = GenerationJob.Status


def bench_user(username: str):
    """A user and its API token key."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    token, _ = Token.objects.get_or_create(user=user)
    return user, token.key


def api_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def job_params_from_api(*, token: str, path: str, body: dict) -> dict:
    """The params the API stores for `body` (POSTed in-process); the job itself is deleted,
    so the benchmark's jobs carry exactly what a real request would."""
    response = api_client(token).post(f"/api/automation/{path}", body, format="json")
    if response.status_code != 202:
        raise RuntimeError(f"POST {path} answered {response.status_code}: {response.content[:300]!r}")
    job = GenerationJob.objects.get(pk=response.json()["job_id"])
    params = job.params
    job.delete()
    return params


def _in_batches(rows: list, model) -> None:
    for start in range(0, len(rows), BATCH):
        with transaction.atomic():
            model.objects.bulk_create(rows[start : start + BATCH], batch_size=500)


def seed_dialogue_history(*, owner, count: int, failed_every: int = 10) -> None:
    """`count` dialogue jobs: one in `failed_every` failed (the retry queue), the others
    completed with a dialogue of LINES_PER_DIALOGUE lines."""
    now = timezone.now()
    for start in range(0, count, BATCH):
        jobs, dialogues, lines = [], [], []
        for number in range(start, min(count, start + BATCH)):
            failed = number % failed_every == 0
            job = GenerationJob(
                job_id=uuid.uuid4(), owner=owner, type="dialogue",
                status=Status.FAILED if failed else Status.COMPLETED,
                params={"dialogue_type": "conflict", "num_lines": LINES_PER_DIALOGUE},
                error="Connection refused: is the server running at http://127.0.0.1:11434/v1?" if failed else "",
                error_kind="transient" if failed else "", retry_count=3 if failed else 0,
                next_attempt_at=now, started_at=now, completed_at=now, progress=0 if failed else 100,
            )  # fmt: skip
            jobs.append(job)
            if failed:
                continue
            dialogue = Dialogue(
                scene_id=uuid.uuid4(), owner=owner, job=job, title=f"Conflict on the ruined bridge #{number}",
                context={"location": "the ruined bridge", "mood": "tense"},
                characters=[{"character_id": "aria", "name": "Aria"}, {"character_id": "malvek", "name": "Malvek"}],
                dialogue_type="conflict", template="linear", mood="tense", seed=number, provider="builtin",
            )  # fmt: skip
            job.result = {"scene_id": str(dialogue.scene_id), "title": dialogue.title}
            dialogues.append(dialogue)
            for order in range(1, LINES_PER_DIALOGUE + 1):
                speaker = ("aria", "Aria") if order % 2 else ("malvek", "Malvek")
                lines.append(
                    DialogueLine(
                        dialogue=dialogue, order=order, character_key=speaker[0], character_name=speaker[1],
                        text=f"Line {order} of scene {number}: you will not cross this bridge while I stand.",
                        emotion="defiant", gesture="grips the rail", voice_direction="low", beat="challenge",
                    )  # fmt: skip
                )
        with transaction.atomic():
            GenerationJob.objects.bulk_create(jobs, batch_size=500)
            Dialogue.objects.bulk_create(dialogues, batch_size=500)
            DialogueLine.objects.bulk_create(lines, batch_size=500)


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 190, 170)).save(buffer, format="PNG")
    return buffer.getvalue()


def seed_expired_history(*, owner, count: int, grid_every: int = 20, dialogue_every: int = 4, age_days: int = 60) -> dict:
    """`count` finished jobs older than the retention, each with its artifact: one in
    `grid_every` a 2x2 grid with its five image files, one in `dialogue_every` a dialogue,
    the rest prompt enhancements. Returns how many rows and files were written, and the files."""
    png = tiny_png()
    now = timezone.now()
    names: list[str] = []
    written = {"jobs": 0, "dialogues": 0, "dialogue_lines": 0, "prompts": 0, "grids": 0, "grid_panels": 0, "files": 0}
    for start in range(0, count, BATCH):
        jobs, dialogues, lines, prompts, grids, panels, files = [], [], [], [], [], [], []
        for number in range(start, min(count, start + BATCH)):
            kind = "grid" if number % grid_every == 0 else "dialogue" if number % dialogue_every == 1 else "prompt"
            job = GenerationJob(
                job_id=uuid.uuid4(), owner=owner, type=kind, status=Status.COMPLETED, params={}, result={},
                next_attempt_at=now, completed_at=now, progress=100,
            )  # fmt: skip
            jobs.append(job)
            if kind == "prompt":
                prompts.append(
                    PromptEnhancement(
                        owner=owner, job=job, original_prompt="A knight", enhanced_prompt="A knight, epic, dramatic",
                        style="fantasy", lighting="dramatic", mood="epic", quality="high",
                    )  # fmt: skip
                )
            elif kind == "dialogue":
                dialogue = Dialogue(
                    scene_id=uuid.uuid4(), owner=owner, job=job, title=f"Old scene {number}", dialogue_type="conflict",
                    template="linear", seed=number, provider="builtin",
                )  # fmt: skip
                dialogues.append(dialogue)
                lines += [
                    DialogueLine(dialogue=dialogue, order=order, character_key="aria", character_name="Aria", text="Old line.")
                    for order in range(1, LINES_PER_DIALOGUE + 1)
                ]
            else:
                bundle_id = uuid.uuid4()
                grid = CharacterGrid(
                    bundle_id=bundle_id, owner=owner, job=job, character_id="aria", character_name="Aria",
                    grid_size="2x2", rows=2, cols=2, style="anime", lighting="soft", mood="neutral", quality="draft",
                    seed=number, width=512, height=512, provider="builtin", sheet=sheet_path(bundle_id),
                )  # fmt: skip
                grids.append(grid)
                files.append(grid.sheet.name)
                for row in range(2):
                    for col in range(2):
                        name = panel_path(bundle_id, row=row, col=col)
                        files.append(name)
                        panels.append(
                            GridPanel(
                                grid=grid, row=row, col=col, outfit="casual", pose="standing", expression="neutral",
                                camera_angle="eye_level", prompt="Aria, casual, standing", seed=number, image=name,
                            )  # fmt: skip
                        )
        names += files
        for name in files:
            path = os.path.join(settings.MEDIA_ROOT, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(png)
        with transaction.atomic():
            for model, rows in ((GenerationJob, jobs), (Dialogue, dialogues), (DialogueLine, lines),
                                (PromptEnhancement, prompts), (CharacterGrid, grids), (GridPanel, panels)):  # fmt: skip
                model.objects.bulk_create(rows, batch_size=500)
        for key, rows in (("jobs", jobs), ("dialogues", dialogues), ("dialogue_lines", lines), ("prompts", prompts),
                          ("grids", grids), ("grid_panels", panels), ("files", files)):  # fmt: skip
            written[key] += len(rows)
    old = now - timedelta(days=age_days)
    with transaction.atomic():
        for model in (GenerationJob, Dialogue, PromptEnhancement, CharacterGrid):
            model.objects.filter(owner=owner).update(created_at=old)
    return written, names

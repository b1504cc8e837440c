"""Character grids: plan the panels, write their prompts, render them, tile the sheet.

Images are rendered and written to storage in `run()`, outside any transaction; the rows
are written by `GridArtifact.save()` in the transaction that completes the job. If the
job does not complete (cancelled, failed, crashed, taken over), the files written so far
are deleted: by `run()` itself when it stops early, by `discard()` afterwards.
"""
import io
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from automation.catalog import grid_catalog
from automation.generators import Generator, JobContext, register
from automation.generators.grid_plan import PlannedPanel, plan_panels
from automation.generators.prompt import enhance
from automation.models.grids import delete_orphan_files, delete_stored_files, panel_path, sheet_path
from automation.providers import contact_sheet
from automation.providers.comfyui import ComfyUIClient, PanelRequest

logger = logging.getLogger(__name__)

PROVIDERS = ("builtin", "comfyui")
# Derived seeds stay below 2**31 - 16, so seed + panel index fits every sampler's range.
SEED_RANGE = 2**31 - 16


@dataclass(frozen=True)
class PanelSpec:
    plan: PlannedPanel
    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    cfg: float


def panel_prompt(*, params: dict[str, Any], plan: PlannedPanel, index: int) -> PanelSpec:
    """The enhancer's prompt for one panel: character, outfit, pose, expression, angle."""
    catalog = grid_catalog()
    subject = catalog["prompt"]["subject"].format(name=params["character_name"])
    parts = [
        subject,
        params.get("character_description", ""),
        catalog["outfits"][plan.outfit]["prompt"],
        catalog["poses"][plan.pose]["prompt"],
        catalog["expressions"][plan.expression]["prompt"],
        catalog["camera_angles"][plan.camera_angle]["prompt"],
    ]
    enhanced = enhance(
        base_prompt=", ".join(part.strip() for part in parts if part and part.strip()),
        style=params["style"],
        lighting=params["lighting"],
        mood=params["mood"],
        quality=params["quality"],
    )
    negative = _merge_tags(enhanced["negative_prompt"], catalog["prompt"]["negative"])
    sampler = enhanced.get("settings") or {}
    return PanelSpec(
        plan=plan,
        prompt=enhanced["enhanced_prompt"],
        negative_prompt=", ".join(negative),
        seed=params["seed"] + index,
        steps=int(sampler.get("steps", 20)),
        cfg=float(sampler.get("cfg", 7.0)),
    )


def _merge_tags(*texts: str) -> list[str]:
    """Comma-separated tags of all texts, in order, without case-insensitive repeats."""
    seen, tags = set(), []
    for text in texts:
        for tag in (part.strip() for part in text.split(",")):
            if tag and tag.lower() not in seen:
                seen.add(tag.lower())
                tags.append(tag)
    return tags


def plan_grid(params: dict[str, Any]) -> tuple[int, int, list[PanelSpec]]:
    size = grid_catalog()["sizes"][params["grid_size"]]
    rows, cols = size["rows"], size["cols"]
    plans = plan_panels(
        rows=rows,
        cols=cols,
        outfits=params["outfits"],
        poses=params["poses"],
        expressions=params["expressions"],
        camera_angles=params["camera_angles"],
        seed=params["seed"],
    )
    return rows, cols, [panel_prompt(params=params, plan=plan, index=i) for i, plan in enumerate(plans)]


@dataclass
class StoredFiles:
    """Files this run wrote, so they can be removed if the job does not complete."""

    names: list[str] = field(default_factory=list)

    def save(self, name: str, content: bytes) -> str:
        stored = default_storage.save(name, ContentFile(content))
        self.names.append(stored)
        return stored

    def discard(self) -> None:
        delete_stored_files(self.names)
        self.names = []


@dataclass
class GridArtifact:
    bundle_id: uuid.UUID
    params: dict[str, Any]
    rows: int
    cols: int
    provider: str
    panels: list[PanelSpec]
    panel_files: list[str]
    sheet_file: str
    files: StoredFiles

    def save(self, job) -> dict[str, Any]:
        from automation.models import CharacterGrid, GridPanel

        p = self.params
        grid = CharacterGrid.objects.create(
            bundle_id=self.bundle_id,
            owner_id=job.owner_id,
            job=job,
            character_id=p["character_id"],
            character_name=p["character_name"],
            character_description=p.get("character_description", ""),
            grid_size=p["grid_size"],
            rows=self.rows,
            cols=self.cols,
            outfits=p["outfits"],
            poses=p["poses"],
            expressions=p["expressions"],
            camera_angles=p["camera_angles"],
            style=p["style"],
            lighting=p["lighting"],
            mood=p["mood"],
            quality=p["quality"],
            seed=p["seed"],
            width=p["width"],
            height=p["height"],
            provider=self.provider,
            sheet=self.sheet_file,
        )
        panels = GridPanel.objects.bulk_create(
            [
                GridPanel(
                    grid=grid,
                    row=spec.plan.row,
                    col=spec.plan.col,
                    outfit=spec.plan.outfit,
                    pose=spec.plan.pose,
                    expression=spec.plan.expression,
                    camera_angle=spec.plan.camera_angle,
                    prompt=spec.prompt,
                    negative_prompt=spec.negative_prompt,
                    seed=spec.seed,
                    image=name,
                )
                for spec, name in zip(self.panels, self.panel_files)
            ]
        )
        return grid_as_dict(grid, panels)

    def discard(self) -> None:
        self.files.discard()


def grid_as_dict(grid, panels, *, absolute: Callable[[str], str] = lambda path: path) -> dict[str, Any]:
    """The grid as the API and the job result show it (docs/grid.md's grid shape)."""
    return {
        "bundle_id": str(grid.bundle_id),
        "character_id": grid.character_id,
        "character_name": grid.character_name,
        "character_description": grid.character_description,
        "grid_size": grid.grid_size,
        "rows": grid.rows,
        "cols": grid.cols,
        "total_panels": len(panels),
        "outfits": grid.outfits,
        "poses": grid.poses,
        "expressions": grid.expressions,
        "camera_angles": grid.camera_angles,
        "style": grid.style,
        "lighting": grid.lighting,
        "mood": grid.mood,
        "quality": grid.quality,
        "seed": grid.seed,
        "resolution": grid.resolution,
        "provider": grid.provider,
        "sheet_url": absolute(grid.sheet_url()),
        "created_at": grid.created_at.isoformat(),
        "panels": [
            {
                "panel_id": str(panel.panel_id),
                "row": panel.row,
                "col": panel.col,
                "outfit": panel.outfit,
                "pose": panel.pose,
                "expression": panel.expression,
                "camera_angle": panel.camera_angle,
                "prompt": panel.prompt,
                "negative_prompt": panel.negative_prompt,
                "seed": panel.seed,
                "image_url": absolute(panel.image_url()),
            }
            for panel in panels
        ],
    }


def resolved_params(ctx: JobContext) -> dict[str, Any]:
    """The job's params with a seed and provider: a seed derived from the job id when
    none was given (the same on every retry of the job, different between jobs), and
    STORYCORE_IMAGE_PROVIDER when the request named no provider."""
    params = dict(ctx.params)
    if params.get("seed") is None:
        params["seed"] = ctx.job.job_id.int % SEED_RANGE
    params["provider"] = params.get("provider") or settings.STORYCORE_IMAGE_PROVIDER
    return params


def run(ctx: JobContext) -> GridArtifact:
    params = resolved_params(ctx)
    provider = params["provider"]
    rows, cols, specs = plan_grid(params)
    ctx.checkpoint(1)
    bundle_id = uuid.uuid4()
    files = StoredFiles()
    try:
        render = _render_comfyui if provider == "comfyui" else _render_builtin
        panel_files, images, tile = render(ctx, params=params, bundle_id=bundle_id, specs=specs, files=files)
        sheet = contact_sheet.compose_sheet(
            title=f"{params['character_name']} — {params['grid_size']} character sheet",
            subtitle=f"{params['style']} · {params['lighting']} lighting · seed {params['seed']} · {provider}",
            tiles=images,
            rows=rows,
            cols=cols,
            tile=tile,
        )
        sheet_file = files.save(sheet_path(bundle_id), contact_sheet.png_bytes(sheet))
        ctx.checkpoint(99)
    except BaseException:
        # Cancelled, failed or crashed mid-grid: the job engine has no artifact to
        # discard yet, so the panels written so far are removed here.
        files.discard()
        raise
    return GridArtifact(
        bundle_id=bundle_id,
        params=params,
        rows=rows,
        cols=cols,
        provider=provider,
        panels=specs,
        panel_files=panel_files,
        sheet_file=sheet_file,
        files=files,
    )


Rendered = tuple[list[str], list[Image.Image], tuple[int, int]]


def _render_builtin(
    ctx: JobContext, *, params: dict[str, Any], bundle_id: uuid.UUID, specs: list[PanelSpec], files: StoredFiles
) -> Rendered:
    """A labelled card per panel (the panel's image), tiled at full size."""
    catalog = grid_catalog()
    names, cards = [], []
    for index, spec in enumerate(specs):
        plan = spec.plan
        card = contact_sheet.draw_card(
            contact_sheet.CardText(
                row=plan.row,
                col=plan.col,
                outfit=catalog["outfits"][plan.outfit]["label"],
                pose=catalog["poses"][plan.pose]["label"],
                expression=catalog["expressions"][plan.expression]["label"],
                camera_angle=catalog["camera_angles"][plan.camera_angle]["label"],
                prompt=spec.prompt,
            )
        )
        names.append(files.save(panel_path(bundle_id, row=plan.row, col=plan.col), contact_sheet.png_bytes(card)))
        cards.append(card)
        ctx.checkpoint(_progress(index + 1, len(specs)))
    return names, cards, contact_sheet.CARD_SIZE


def _render_comfyui(
    ctx: JobContext, *, params: dict[str, Any], bundle_id: uuid.UUID, specs: list[PanelSpec], files: StoredFiles
) -> Rendered:
    """One ComfyUI run per panel, stored as it arrives; tiles scaled to the sheet."""
    client = ComfyUIClient()
    names, images = [], []
    try:
        for index, spec in enumerate(specs):
            progress = _progress(index, len(specs))
            ctx.checkpoint(progress)
            plan = spec.plan
            content = client.render(
                PanelRequest(
                    prompt=spec.prompt,
                    negative_prompt=spec.negative_prompt,
                    seed=spec.seed,
                    width=params["width"],
                    height=params["height"],
                    steps=spec.steps,
                    cfg=spec.cfg,
                    # Unique per run and panel: ComfyUI would otherwise answer an identical
                    # workflow from its cache with an earlier run's file.
                    filename_prefix=f"storycore/{bundle_id}/r{plan.row}c{plan.col}",
                ),
                heartbeat=lambda progress=progress: ctx.checkpoint(progress),
            )
            with Image.open(io.BytesIO(content)) as image:
                # SaveImage writes PNG; a custom workflow's node may not. Panels are PNG.
                if image.format != "PNG":
                    content = contact_sheet.png_bytes(image)
                images.append(image.convert("RGB"))
            names.append(files.save(panel_path(bundle_id, row=plan.row, col=plan.col), content))
        ctx.checkpoint(_progress(len(specs), len(specs)))
    finally:
        client.close()
    return names, images, contact_sheet.tile_size(params["width"], params["height"])


def _progress(done: int, total: int) -> int:
    # 1..98 while panels render: 0 is "claimed", 99 "sheet written", 100 "completed".
    return 1 + int(97 * done / total)


def cleanup(cutoff: datetime, batch_size: int) -> int:
    """Delete grids older than the cutoff; their files go with them (models/grids.py).
    Also sweeps files of runs whose worker was killed: no run writes for longer than
    the task timeout plus a lease, so older files without a grid row are orphans."""
    from automation.jobs import delete_in_batches
    from automation.models import CharacterGrid

    deleted = delete_in_batches(CharacterGrid.objects.filter(created_at__lt=cutoff), batch_size=batch_size)
    quiet_since = timezone.now() - timedelta(seconds=settings.STORYCORE_JOB_TIMEOUT + settings.STORYCORE_JOB_LEASE)
    orphans = delete_orphan_files(older_than=quiet_since)
    if orphans:
        logger.info("Deleted %d orphaned grid image file(s) left by interrupted runs.", orphans)
    return deleted


register(Generator(type="grid", run=run, cleanup=cleanup))

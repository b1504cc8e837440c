"""Reads over prompt styles: the catalog's (data files) and users' (PromptStyle rows)."""
from dataclasses import asdict, dataclass

from django.db.models import Q, QuerySet

from automation.catalog import prompt_catalog
from automation.models import PromptStyle


@dataclass(frozen=True)
class StyleDefinition:
    name: str
    label: str
    category: str
    description: str
    template: str
    negative: str
    source: str  # "catalog", "custom" (the caller's own) or "global" (published by staff)
    id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _from_catalog(name: str, entry: dict) -> StyleDefinition:
    fields = {key: entry[key] for key in ("label", "category", "description", "template", "negative")}
    return StyleDefinition(name=name, source="catalog", **fields)


def catalog_styles() -> list[StyleDefinition]:
    return [_from_catalog(name, entry) for name, entry in prompt_catalog()["styles"].items()]


def _from_row(style: PromptStyle) -> StyleDefinition:
    return StyleDefinition(
        name=style.name,
        label=style.label,
        category=style.category,
        description=style.description,
        template=style.template,
        negative=style.negative,
        source=style.source,
        id=style.pk,
    )


def styles_usable_by(user) -> QuerySet[PromptStyle]:
    """The user styles a user may enhance with: their own and the global ones."""
    if user is None or not user.is_authenticated:
        return PromptStyle.objects.filter(is_global=True)
    return PromptStyle.objects.filter(Q(owner=user) | Q(is_global=True))


def styles_manageable_by(user) -> QuerySet[PromptStyle]:
    """What the custom-styles API lists: staff see every row, users their own and the global
    ones (read-only for them; others' private styles are a 404)."""
    rows = PromptStyle.objects.select_related("owner")
    return rows if user.is_staff else rows.filter(Q(owner=user) | Q(is_global=True))


def styles_for(user) -> list[StyleDefinition]:
    """Catalog styles first, then the user's usable styles by name."""
    return catalog_styles() + [_from_row(style) for style in styles_usable_by(user).order_by("name")]


def style_names_for(user) -> list[str]:
    return list(prompt_catalog()["styles"]) + list(styles_usable_by(user).order_by("name").values_list("name", flat=True))


def find_style(*, name: str, owner=None) -> StyleDefinition | None:
    """The style `name` as `owner` sees it (catalog names win; they cannot be reused)."""
    entry = prompt_catalog()["styles"].get(name)
    if entry is not None:
        return _from_catalog(name, entry)
    if owner is None:
        return None
    # A user's own style first, should a global one with the same name be published later.
    row = styles_usable_by(owner).filter(name=name).order_by("is_global").first()
    return _from_row(row) if row else None

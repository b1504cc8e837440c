"""The offline image provider: Pillow draws a labelled card per panel and tiles a sheet.

Cards are sized for reading at 100% zoom (about 17 px text), whatever resolution the
grid asks of a real image provider; the sheet is a title band above the tiles.
"""
import io
from dataclasses import dataclass
from functools import cache
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

CARD_SIZE = (440, 330)
TITLE_HEIGHT = 64
# Tiles wider than this are scaled down in the sheet; panels keep their full size.
MAX_TILE_WIDTH = 512
MARGIN = 14
TEXT_SIZE = 17
TITLE_SIZE = 28
BACKGROUND = (250, 248, 243)
CARD_FILL = (255, 255, 255)
BORDER = (70, 70, 80)
INK = (25, 25, 30)
MUTED = (95, 95, 110)
ACCENT = (38, 84, 124)


@dataclass(frozen=True)
class CardText:
    row: int
    col: int
    outfit: str
    pose: str
    expression: str
    camera_angle: str
    prompt: str


# Tried in order; Pillow finds these names in the usual system font folders. Pillow's
# bundled font is the last resort: it always exists but lacks accents (é) and dashes.
FONT_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf", "Arial.ttf", "arial.ttf")


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def wrap(text: str, *, typeface, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to `width` pixels; the last line ends in an ellipsis if cut."""
    lines: list[str] = []
    current = ""
    words = text.split()
    for index, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if typeface.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        if len(lines) == max_lines:
            break
    else:
        if current:
            lines.append(current)
        return lines[:max_lines]
    # Out of room: mark the cut on the last line.
    words_left = lines[max_lines - 1].split()
    while len(words_left) > 1 and typeface.getlength(" ".join(words_left) + " …") > width:
        words_left.pop()
    lines[max_lines - 1] = " ".join(words_left) + " …"
    return lines[:max_lines]


def draw_card(card: CardText, *, size: tuple[int, int] = CARD_SIZE) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size, CARD_FILL)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width - 1, height - 1], outline=BORDER, width=2)
    text_font, bold = font(TEXT_SIZE), font(TEXT_SIZE + 3)
    line_height = TEXT_SIZE + 6
    y = MARGIN
    draw.text((MARGIN, y), f"row {card.row}, col {card.col}", font=bold, fill=ACCENT)
    y += line_height + 6
    for label, value in (
        ("Outfit", card.outfit),
        ("Pose", card.pose),
        ("Expression", card.expression),
        ("Camera", card.camera_angle),
    ):
        draw.text((MARGIN, y), f"{label}:", font=text_font, fill=MUTED)
        draw.text((MARGIN + 110, y), value, font=text_font, fill=INK)
        y += line_height
    y += 4
    draw.line([MARGIN, y, width - MARGIN, y], fill=(210, 210, 215), width=1)
    y += 8
    room = max(1, (height - MARGIN - y) // line_height)
    for line in wrap(card.prompt, typeface=text_font, width=width - 2 * MARGIN, max_lines=room):
        draw.text((MARGIN, y), line, font=text_font, fill=MUTED)
        y += line_height
    return image


def tile_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_TILE_WIDTH / width)
    return max(1, round(width * scale)), max(1, round(height * scale))


def compose_sheet(*, title: str, subtitle: str, tiles: Sequence[Image.Image], rows: int, cols: int,
                  tile: tuple[int, int]) -> Image.Image:
    """Tiles in reading order under a title band: cols*tile_w wide, TITLE + rows*tile_h high."""
    if len(tiles) != rows * cols:
        raise ValueError(f"expected {rows * cols} tiles, got {len(tiles)}")
    tile_w, tile_h = tile
    sheet = Image.new("RGB", (cols * tile_w, TITLE_HEIGHT + rows * tile_h), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    title_font = font(TITLE_SIZE)
    draw.text((MARGIN, 8), title, font=title_font, fill=INK)
    draw.text((MARGIN, 8 + TITLE_SIZE + 4), subtitle, font=font(TEXT_SIZE - 2), fill=MUTED)
    for index, image in enumerate(tiles):
        row, col = divmod(index, cols)
        if image.size != (tile_w, tile_h):
            image = image.resize((tile_w, tile_h), Image.Resampling.LANCZOS)
        sheet.paste(image.convert("RGB"), (col * tile_w, TITLE_HEIGHT + row * tile_h))
    return sheet


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()

"""Server-rendered bar charts of the collection trends: geometry only, drawn as SVG by
``revenue/_trend_chart.html`` (no JavaScript). The chart is an image with a text alternative;
the same figures are in the table printed beside it."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .selectors import Row

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 90, 10, 30, 40


def _n(value: float) -> str:
    """A coordinate as SVG wants it, whatever the page's language (never "12,5")."""
    return f"{value:.1f}"


@dataclass
class Bar:
    x: str
    y: str
    width: str
    height: str


@dataclass
class Group:
    label: str
    billed: Bar
    collected: Bar
    label_x: str
    rate_text: str
    rate_y: str


def _amount(value: Decimal) -> str:
    # Rounded as the table's floatformat rounds (number_format alone would cut the digits).
    whole = value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return number_format(whole, 0, use_l10n=True, force_grouping=True)


def _rate(row: Row) -> str:
    if row.rate is None:
        return "—"
    return f"{number_format(row.rate.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP), 1)} %"


def chart(rows: list[Row], *, title: str, short_labels: bool = False) -> dict | None:
    """The bars, the axis ticks and the text alternative of ``rows`` (None when empty).
    ``short_labels`` draws only the first two characters of each label (a month's number)."""
    if not rows:
        return None
    top = max(max(r.billed, r.collected) for r in rows)
    top = top if top > 0 else Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(rows)
    bar_w = min(step * 0.36, 60)
    base = TOP + plot_h

    def bar(x: float, value: Decimal) -> tuple[Bar, float]:
        h = float(max(value, Decimal(0)) / top) * plot_h
        return Bar(_n(x), _n(base - h), _n(bar_w), _n(h)), base - h

    groups = []
    for i, row in enumerate(rows):
        centre = LEFT + step * i + step / 2
        billed, billed_top = bar(centre - bar_w - 1, row.billed)
        collected, collected_top = bar(centre + 1, row.collected)
        groups.append(
            Group(
                row.label[:2] if short_labels else row.label,
                billed,
                collected,
                _n(centre),
                _rate(row),
                _n(min(billed_top, collected_top) - 6),
            )
        )
    ticks = [
        {"y": _n(base - plot_h * f), "text": _amount(top * Decimal(str(f)))} for f in (0, 0.5, 1)
    ]
    description = "; ".join(
        _("%(label)s: billed %(billed)s ALL, collected %(collected)s ALL, rate %(rate)s")
        % {
            "label": r.label,
            "billed": _amount(r.billed),
            "collected": _amount(r.collected),
            "rate": _rate(r),
        }
        for r in rows
    )
    return {
        "title": title,
        "description": description,
        "groups": groups,
        "ticks": ticks,
        "width": WIDTH,
        "height": HEIGHT,
        "left": _n(LEFT),
        "tick_x": _n(LEFT - 6),
        "right": _n(WIDTH - RIGHT),
        "base": _n(base),
        "label_y": _n(base + 18),
        "font_size": 11 if short_labels or len(rows) > 6 else 14,
    }

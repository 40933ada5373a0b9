"""Charts drawn on the server as inline SVG: no JavaScript library, no CDN, no inline style
(the Content-Security-Policy forbids it; SVG presentation attributes are not styles).

Every chart is ``role="img"`` with an ``aria-label``, a ``<title>`` and a ``<desc>``; the
page puts its table beside it, which is what a screen reader should read for the figures.
Labels and titles arrive translated; values are numbers with a formatter for the axis.
"""
import itertools
import math

from markupsafe import Markup, escape

from marketplace.core.money import FEN_PER_YUAN, format_fen

WIDTH = 460         # a chart beside its table (5/12 of the page)
WIDE = 1040         # a chart across the page
FONT = 12
COLOURS = {"primary": "#0d6efd", "previous": "#6c757d", "target": "#dc3545",
           "voucher": "#198754", "warning": "#fd7e14", "projection": "#9ec5fe",
           "grid": "#dee2e6", "text": "#212529", "muted": "#6c757d"}
_ids = itertools.count(1)


def _svg(height, title, description, body, width=WIDTH):
    ident = f"chart-{next(_ids)}"
    return Markup(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" width="100%" '
        'viewBox="0 0 {w} {h}" aria-label="{label}" aria-labelledby="{i}-t {i}-d" '
        'font-size="{f}" fill="{text}"><title id="{i}-t">{title}</title>'
        '<desc id="{i}-d">{desc}</desc>{body}</svg>').format(
        w=width, h=height, label=title, i=ident, f=FONT, text=COLOURS["text"],
        title=title, desc=description, body=Markup(body))


def _text(x, y, content, anchor="start", **attrs):
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>' \
           f'{escape(content)}</text>'


def _text_width(text):
    return sum(FONT if ord(char) > 0x2e80 else FONT * 0.6 for char in str(text))


def _shorten(label, room_px):
    """Cut a label to fit ``room_px`` (CJK characters count a full em, others ~0.6)."""
    label, used, out = str(label), 0.0, []
    for char in label:
        used += FONT if ord(char) > 0x2e80 else FONT * 0.6
        if used > room_px:
            return "".join(out[:-1]) + "…"
        out.append(char)
    return label


def nice_ceiling(value):
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of 10)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return int(step * power) if step * power >= 1 else step * power
    return 10 * power


def _legend(entries, y, x=60):
    parts = []
    for name, colour, dashed in entries:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        parts.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}" '
                     f'stroke="{colour}" stroke-width="3"{dash}/>')
        parts.append(_text(x + 28, y, name))
        x += 44 + _text_width(name)
    return "".join(parts)


def line_chart(x_labels, series, *, title, description, value_format, reference=None):
    """Lines over ``x_labels``. ``series``: ``(name, values, colour key, dashed)``, a value
    None where the line stops; ``reference``: ``(name, value)`` drawn as a dashed level."""
    height, left, right, top, bottom = 320, 78, 16, 34, 28
    width = WIDE
    values = [v for _, vals, _, _ in series for v in vals if v is not None]
    if reference is not None:
        values.append(reference[1])
    top_value = nice_ceiling(max(values + [0]))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(x_labels) - 1)

    def y_of(value):
        return top + plot_h - plot_h * max(0, value) / top_value

    parts = []
    for i in range(5):
        level = top_value * i / 4
        y = y_of(level)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="{COLOURS["grid"]}"/>')
        parts.append(_text(left - 6, y + 4, value_format(level), "end",
                           fill=COLOURS["muted"]))
    for i, label in enumerate(x_labels):
        parts.append(_text(left + i * step, height - 8, label, "middle",
                           fill=COLOURS["muted"]))
    legend = []
    if reference is not None:
        y = y_of(reference[1])
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="{COLOURS["target"]}" stroke-width="2" '
                     'stroke-dasharray="8 5"/>')
        legend.append((reference[0], COLOURS["target"], True))
    for name, vals, colour_key, dashed in series:
        colour = COLOURS[colour_key]
        points = [(left + i * step, y_of(v)) for i, v in enumerate(vals) if v is not None]
        if points:
            dash = ' stroke-dasharray="6 4"' if dashed else ""
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         f'stroke-width="3"{dash} stroke-linejoin="round"/>')
            if not dashed:
                parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
                             for x, y in points)
        legend.append((name, colour, dashed))
    parts.append(_legend(legend, 18, x=left))
    return _svg(height, title, description, "".join(parts), width)


def bar_chart(items, *, title, description, value_format, colour="primary",
              series_names=None, colours=None):
    """Horizontal bars, one row per ``(label, value)`` or, with ``series_names``, per
    ``(label, [value, ...])`` stacked left to right. Negative values draw no bar but are
    written out."""
    stacked = series_names is not None
    colours = [COLOURS[c] for c in (colours or [colour])]
    row_h, left, right = 24, 150, 66
    top = 30 if stacked else 8
    height = top + row_h * max(1, len(items)) + 8
    totals = [sum(max(0, v) for v in (value if stacked else [value])) for _, value in items]
    top_value = nice_ceiling(max(totals + [0]))
    plot_w = WIDTH - left - right
    parts = []
    if stacked:
        parts.append(_legend([(n, colours[i % len(colours)], False)
                              for i, n in enumerate(series_names)], 16))
    for row, (label, value) in enumerate(items):
        y = top + row * row_h
        parts.append(_text(left - 8, y + row_h / 2 + 4, _shorten(label, left - 16), "end"))
        x = left
        for i, part in enumerate(value if stacked else [value]):
            width = plot_w * max(0, part) / top_value
            if width > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" '
                             f'height="{row_h - 8}" rx="2" '
                             f'fill="{colours[i % len(colours)]}"/>')
            x += width
        shown = " / ".join(value_format(v) for v in value) if stacked \
            else value_format(value)
        parts.append(_text(x + 6, y + row_h / 2 + 4, shown, fill=COLOURS["muted"]))
    if not items:
        parts.append(_text(WIDTH / 2, top + row_h / 2 + 4, "—", "middle"))
    return _svg(height, title, description, "".join(parts))


def target_chart(actual, projection, target, *, title, description, value_format, names):
    """A bullet chart: the amount so far, the projection behind it (lighter) and the
    target as a red mark. ``names``: labels of (so far, projection, target)."""
    height, left, right, bar_y, bar_h = 86, 12, 12, 30, 26
    width = WIDE
    top_value = nice_ceiling(max(actual, projection or 0, target or 0, 1) * 1.05)
    plot_w = width - left - right

    def x_of(value):
        return left + plot_w * max(0, value) / top_value

    parts = [f'<rect x="{left}" y="{bar_y}" width="{plot_w}" height="{bar_h}" '
             f'fill="#f1f3f5"/>']
    if projection:
        parts.append(f'<rect x="{left}" y="{bar_y}" width="{x_of(projection) - left:.1f}" '
                     f'height="{bar_h}" fill="{COLOURS["projection"]}"/>')
    parts.append(f'<rect x="{left}" y="{bar_y}" width="{x_of(actual) - left:.1f}" '
                 f'height="{bar_h}" fill="{COLOURS["primary"]}"/>')
    legend = [(names[0], COLOURS["primary"], False)]
    if projection:
        legend.append((names[1], COLOURS["projection"], False))
    if target:
        x = x_of(target)
        parts.append(f'<line x1="{x:.1f}" y1="{bar_y - 6}" x2="{x:.1f}" '
                     f'y2="{bar_y + bar_h + 6}" stroke="{COLOURS["target"]}" '
                     'stroke-width="4"/>')
        anchor = "end" if x > width * 0.8 else "middle"
        parts.append(_text(x, bar_y + bar_h + 20, f"{names[2]} {value_format(target)}",
                           anchor, fill=COLOURS["target"]))
    parts.append(_legend(legend, 16, x=left))
    return _svg(height, title, description, "".join(parts), width)


def compact_yuan(fen, locale):
    """Axis labels: fen as 亿/万 yuan in Chinese, bn/m/k yuan in English."""
    if locale == "zh":
        symbol, units = "", ((10**8, "亿"), (10**4, "万"))
    else:
        symbol, units = "¥", ((10**9, "bn"), (10**6, "m"), (10**3, "k"))
    for size, unit in units:
        if abs(fen) >= size * FEN_PER_YUAN:
            places = 1 if abs(fen) < 10 * size * FEN_PER_YUAN else 0
            return format_fen(fen, symbol, places=places, grouping=False, unit=size) + unit
    return format_fen(fen, symbol, places=0, grouping=False)

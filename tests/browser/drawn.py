"""What the browser drew: WCAG contrast of text against the colour behind it, and overlapping boxes.

The contrast is computed in the page from computed styles: the text colour against the first opaque
background found walking up the ancestors, with semi-transparent backgrounds blended on the way.
"""

from __future__ import annotations

from typing import Any

# WCAG 2 contrast ratio for body text.
MIN_CONTRAST = 4.5

CONTRAST_JS = """(elements) => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  const behind = (element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.a > 0) layers.push(colour);
      if (colour && colour.a >= 1) break;
    }
    let result = {r: 255, g: 255, b: 255, a: 1};  // the canvas under everything
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const luminance = (c) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  return elements.map((element) => {
    const back = behind(element);
    const text = over(parse(getComputedStyle(element).color), back);
    const [light, dark] = [luminance(text), luminance(back)].sort((a, b) => b - a);
    return {text: (element.innerText || element.value || "").trim().slice(0, 40),
            ratio: (light + 0.05) / (dark + 0.05)};
  });
}"""

BOXES_JS = """(elements) => elements.map((element) => {
  const box = element.getBoundingClientRect();
  return {id: element.id || element.innerText.trim().slice(0, 30), x: box.x + window.scrollX,
          y: box.y + window.scrollY, width: box.width, height: box.height};
}).filter((box) => box.width > 0 && box.height > 0)"""


def contrasts(page: Any, selector: str) -> list[dict[str, Any]]:
    """Contrast ratio of every visible element matching `selector` that holds text."""
    return page.locator(selector).evaluate_all(CONTRAST_JS)


def low_contrast(page: Any, selector: str) -> list[dict[str, Any]]:
    return [item for item in contrasts(page, selector) if item["text"] and item["ratio"] < MIN_CONTRAST]


def boxes(page: Any, selector: str) -> list[dict[str, Any]]:
    """Page-relative boxes of the visible elements matching `selector`."""
    return page.locator(selector).evaluate_all(BOXES_JS)


def overlapping(items: list[dict[str, Any]], slack: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of boxes that overlap by more than `slack` pixels each way."""
    pairs = []
    for index, first in enumerate(items):
        for second in items[index + 1:]:
            wide = min(first["x"] + first["width"], second["x"] + second["width"]) - max(first["x"], second["x"])
            high = min(first["y"] + first["height"], second["y"] + second["height"]) - max(first["y"], second["y"])
            if wide > slack and high > slack:
                pairs.append((first["id"], second["id"]))
    return pairs

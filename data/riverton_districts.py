"""The ten council districts of Riverton, the fictional demo city, as GeoJSON.

Riverton does not exist, so neither do its boundaries: this module draws them. It is
deterministic (no randomness, no data from elsewhere), and its output is committed as
data/riverton-districts.geojson, which the KPI pages read to map district breakdowns.
Regenerate the file after changing this module:

    .venv/bin/python -m data.riverton_districts

How it is made: a city outline (a lopsided oval around 90.2 W, 38.6 N, about 19 km by
23 km, with its east side following a meandering river) is cut into ten Voronoi cells
of ten seed points, moved a few times towards their cells' centroids (Lloyd's
relaxation) so the districts come out of similar size. Cells are computed in kilometres
and clipped to the outline, then converted to longitude and latitude and rounded to
five decimals (about a metre). Districts are numbered north to south, then west to east,
as "District 1" .. "District 10", the members the demo city's breakdowns use. Rings
wind clockwise, the way d3-geo (plotly.js's map engine) reads a polygon's inside;
RFC 7946 readers accept either winding.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("riverton-districts.geojson")
CENTER = (-90.2, 38.6)             # lon, lat of the city's middle
KM_PER_DEGREE_LAT = 111.2
SEEDS = (                          # starting seed points, km east and north of CENTER
    (-6.5, 7.5), (0.5, 8.0), (6.0, 6.0), (-8.0, 1.5), (-2.0, 2.5),
    (4.0, 1.0), (-6.0, -4.5), (0.0, -3.5), (5.0, -5.0), (-1.5, -9.0),
)
RELAXATION_ROUNDS = 4

Point = tuple[float, float]


def _outline(points: int = 96) -> list[Point]:
    """The city limits, counter-clockwise, in km: an oval with a few gentle bulges, its
    east edge pulled in along a river bend."""
    ring = []
    for i in range(points):
        angle = 2 * math.pi * i / points
        radius = 1 + 0.07 * math.sin(2 * angle + 0.6) + 0.05 * math.cos(3 * angle + 1.1) \
            + 0.025 * math.sin(5 * angle + 0.3)
        x, y = 9.5 * radius * math.cos(angle), 11.5 * radius * math.sin(angle)
        river = 7.2 + 1.3 * math.sin(y / 3.1)          # the river's west bank, km east
        ring.append((min(x, river), y))
    return ring


def _area(ring: list[Point]) -> float:
    """Signed area (positive: counter-clockwise)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1])) / 2


def _centroid(ring: list[Point]) -> Point:
    area = _area(ring)
    cx = sum((x1 + x2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]))
    cy = sum((y1 + y2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]))
    return cx / (6 * area), cy / (6 * area)


def _clip(ring: list[Point], a: Point, b: Point) -> list[Point]:
    """The part of `ring` nearer to seed `a` than to seed `b` (Sutherland-Hodgman against
    their perpendicular bisector)."""
    nx, ny = b[0] - a[0], b[1] - a[1]
    limit = (b[0] ** 2 + b[1] ** 2 - a[0] ** 2 - a[1] ** 2) / 2

    def side(p: Point) -> float:
        return p[0] * nx + p[1] * ny - limit      # <= 0: on a's side

    kept: list[Point] = []
    for current, following in zip(ring, ring[1:] + ring[:1]):
        s1, s2 = side(current), side(following)
        if s1 <= 0:
            kept.append(current)
        if (s1 < 0 < s2) or (s2 < 0 < s1):
            t = s1 / (s1 - s2)
            kept.append((current[0] + t * (following[0] - current[0]),
                         current[1] + t * (following[1] - current[1])))
    return kept


def _cells(seeds: list[Point], outline: list[Point]) -> list[list[Point]]:
    cells = []
    for i, seed in enumerate(seeds):
        cell = outline
        for j, other in enumerate(seeds):
            if i != j:
                cell = _clip(cell, seed, other)
        cells.append(cell)
    return cells


def _to_lonlat(point: Point) -> list[float]:
    x, y = point
    lat = CENTER[1] + y / KM_PER_DEGREE_LAT
    lon = CENTER[0] + x / (KM_PER_DEGREE_LAT * math.cos(math.radians(CENTER[1])))
    return [round(lon, 5), round(lat, 5)]


def _ring(cell: list[Point]) -> list[list[float]]:
    """Clockwise, closed, rounded, without repeated points."""
    clockwise = cell if _area(cell) < 0 else cell[::-1]
    ring: list[list[float]] = []
    for point in map(_to_lonlat, clockwise):
        if not ring or point != ring[-1]:
            ring.append(point)
    if ring[0] == ring[-1]:
        ring.pop()
    return ring + [ring[0]]


def build() -> dict[str, Any]:
    """The districts as a GeoJSON FeatureCollection (always the same)."""
    outline = _outline()
    seeds = list(SEEDS)
    for _ in range(RELAXATION_ROUNDS):
        seeds = [_centroid(cell) for cell in _cells(seeds, outline)]
    cells = _cells(seeds, outline)
    # Number north to south in bands of about 6 km, west to east within a band.
    order = sorted(range(len(seeds)), key=lambda i: (-round(seeds[i][1] / 6), seeds[i][0]))
    features = []
    for number, i in enumerate(order, start=1):
        features.append({
            "type": "Feature",
            "id": number,
            "properties": {"name": f"District {number}", "district": number,
                           "area_km2": round(abs(_area(cells[i])), 1),
                           "label_point": _to_lonlat(_centroid(cells[i]))},
            "geometry": {"type": "Polygon", "coordinates": [_ring(cells[i])]},
        })
    return {"type": "FeatureCollection",
            "name": "Riverton council districts (fictional, generated by data/riverton_districts.py)",
            "features": features}


def write(path: Path = PATH) -> Path:
    text = json.dumps(build(), separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    return path


@lru_cache(maxsize=4)
def load(path: Path = PATH) -> dict[str, Any]:
    """The committed districts file, read once per path (it does not change while serving)."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


if __name__ == "__main__":
    written = write()
    print(f"wrote {written} ({written.stat().st_size:,} bytes)")

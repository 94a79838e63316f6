"""A small catalog of another shop (coffee gear, 20 products, SKUs without hyphens and without the shipped
catalog's waterproof / warmth / size attributes), written by the tests that need one."""

from __future__ import annotations

import json
from pathlib import Path

# (sku, name, category, price, rating, in_stock, colours, description)
_PRODUCTS = [
    ("GRDBUR001", "Conical Burr Grinder", "grinders", 129.0, 4.6, True, ["black", "silver"],
     "Forty grind settings from espresso to French press; quiet conical burrs."),
    ("GRDBUR002", "Flat Burr Grinder Pro", "grinders", 349.0, 4.8, True, ["black"],
     "Flat steel burrs with single-dose hopper and low retention."),
    ("GRDHND003", "Hand Grinder Travel", "grinders", 79.5, 4.3, True, ["silver"],
     "Compact manual grinder with stainless burrs, fits inside an AeroPress."),
    ("GRDBLD004", "Blade Grinder Basic", "grinders", 24.99, 3.6, False, ["white"],
     "Simple blade grinder for spices and coarse coffee."),
    ("GRDESP005", "Espresso Grinder Stepless", "grinders", 489.0, 4.9, False, ["black", "white"],
     "Stepless adjustment and timed dosing for espresso."),
    ("KTLGOO006", "Gooseneck Kettle Electric", "kettles", 89.0, 4.7, True, ["black", "copper"],
     "Variable temperature gooseneck kettle with hold mode."),
    ("KTLSTV007", "Stovetop Gooseneck Kettle", "kettles", 42.0, 4.2, True, ["silver", "copper"],
     "Classic stovetop pour-over kettle with thermometer lid."),
    ("KTLCLS008", "Classic Electric Kettle", "kettles", 35.5, 4.0, True, ["white"],
     "Fast boiling kettle, 1.7 litres, auto shut-off."),
    ("KTLTRV009", "Travel Kettle Mini", "kettles", 29.0, 3.8, False, ["white", "black"],
     "Half-litre folding kettle for travel."),
    ("SCLDRP010", "Drip Scale with Timer", "scales", 49.0, 4.5, True, ["black"],
     "Scale with built-in timer and 0.1 g resolution."),
    ("SCLESP011", "Espresso Scale Slim", "scales", 119.0, 4.7, True, ["black", "white"],
     "Slim scale that fits under a portafilter, flow-rate display."),
    ("SCLKIT012", "Kitchen Scale Basic", "scales", 15.0, 3.9, True, ["white"],
     "General kitchen scale with 1 g resolution."),
    ("BRWPOR013", "Pour Over Dripper Ceramic", "brewers", 27.0, 4.6, True, ["white", "black"],
     "Ceramic cone dripper with spiral ribs for an even flow."),
    ("BRWFRP014", "French Press Glass", "brewers", 32.0, 4.1, True, ["silver"],
     "One-litre borosilicate French press with a steel frame."),
    ("BRWAER015", "Aero Brewer Compact", "brewers", 39.0, 4.8, True, ["black"],
     "Immersion and pressure brewer for one cup; travel friendly."),
    ("BRWSIP016", "Siphon Brewer Glass", "brewers", 95.0, 4.0, False, ["silver"],
     "Vacuum siphon brewer with an alcohol burner."),
    ("BRWCLD017", "Cold Brew Tower", "brewers", 159.0, 4.4, True, ["copper"],
     "Slow-drip cold brew tower, eight cups overnight."),
    ("FLTPAP018", "Paper Filters Cone", "filters", 6.5, 4.5, True, ["white"],
     "One hundred bleached paper filters for cone drippers."),
    ("FLTMET019", "Metal Mesh Filter", "filters", 18.0, 4.2, True, ["silver"],
     "Reusable stainless mesh filter, no paper taste."),
    ("FLTCLO020", "Cloth Filter Set", "filters", 12.0, 3.7, False, ["white"],
     "Three cotton cloth filters for pour over and siphon."),
]


def write_catalog(path: Path) -> Path:
    """Write the 20-product catalog to `path` (JSONL) and return `path`."""
    lines = [json.dumps({"sku": sku, "name": name, "category": category, "price": price, "rating": rating,
                         "in_stock": in_stock, "attributes": {"colors": colours}, "description": description})
             for sku, name, category, price, rating, in_stock, colours, description in _PRODUCTS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

"""Seeded generator for the product catalog the app ships (`function_app/data/products.jsonl`).

The same seed and size always give the same bytes, so the catalog, the datasets built on it and the
benchmarks' larger catalogs are reproducible. The public sample's three jackets are always included, and
the catalog is shaped so that its example request ("the cheapest warm jacket under $200") has exactly
one answer, `JKT-URB-009`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog_tools.search import WARMTH_LEVELS

DEFAULT_SEED = 20251122
DEFAULT_SIZE = 600

WARMTH_WORDS = {"light": "lightweight", "medium": "mid-weight", "warm": "warm", "extra_warm": "extra warm"}
COLORS = (
    "black", "navy", "red", "green", "blue", "grey", "white", "orange",
    "yellow", "olive", "purple", "teal", "brown", "charcoal", "pink",
)
APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
SHOE_SIZES = tuple(str(n) for n in range(6, 14))
SERIES = (
    "Alpine", "Urban", "Summit", "Ridge", "Glacier", "Trail", "Canyon", "Harbor", "Nordic", "Cascade",
    "Tundra", "Coastal", "Metro", "Boreal", "Sierra", "Fjord", "Granite", "Aspen", "Juniper", "Polar",
)
MODIFIERS = (
    "Light", "Insulated", "Pro", "Storm", "Explorer", "Classic", "Trek", "Flex", "Thermal", "Ultra",
    "Everyday", "Expedition", "Shield", "Venture", "Peak", "Drift", "Vector", "Nimbus",
)
ACTIVITIES = ("hiking", "commuting", "skiing", "camping", "travel", "running", "climbing", "snowshoeing")


@dataclass(frozen=True)
class CategorySpec:
    """How one category's products look: SKU prefix, product types, price range and which attributes apply."""

    prefix: str
    types: tuple[str, ...]
    price_range: tuple[int, int]
    warmth: bool
    waterproof: bool
    sizes: tuple[str, ...]


CATEGORIES: dict[str, CategorySpec] = {
    "jackets": CategorySpec("JKT", ("Jacket", "Parka", "Shell", "Windbreaker", "Softshell", "Rain Jacket",
                                    "Down Jacket"),
                            (59, 399), True, True, APPAREL_SIZES),
    "boots": CategorySpec("BOT", ("Hiking Boot", "Winter Boot", "Trail Boot", "Snow Boot", "Approach Shoe"),
                          (69, 289), True, True, SHOE_SIZES),
    "backpacks": CategorySpec("BPK", ("Daypack", "Backpack", "Travel Pack", "Hydration Pack", "Rucksack"),
                              (29, 249), False, True, ()),
    "tents": CategorySpec("TNT", ("Tent", "Dome Tent", "Backpacking Tent", "Tunnel Tent"),
                          (89, 699), False, True, ()),
    "sleeping_bags": CategorySpec("SLB", ("Sleeping Bag", "Mummy Bag", "Quilt"),
                                  (49, 399), True, False, ()),
    "gloves": CategorySpec("GLV", ("Gloves", "Mittens", "Liner Gloves"),
                           (15, 99), True, True, ("S", "M", "L", "XL")),
    "hats": CategorySpec("HAT", ("Beanie", "Cap", "Sun Hat", "Trapper Hat"),
                         (12, 59), True, False, ("S/M", "L/XL")),
    "base_layers": CategorySpec("BSL", ("Base Layer Top", "Base Layer Bottom", "Crew", "Zip Neck"),
                                (25, 119), True, False, APPAREL_SIZES),
    "pants": CategorySpec("PNT", ("Pants", "Rain Pants", "Ski Pants", "Trekking Pants", "Joggers"),
                          (39, 199), True, True, APPAREL_SIZES),
    "fleece": CategorySpec("FLC", ("Fleece", "Hoodie", "Pullover", "Vest"),
                           (39, 149), True, False, APPAREL_SIZES),
}

# The public sample's three jackets, exactly as its README and data name them.
SEED_PRODUCTS: tuple[dict[str, Any], ...] = (
    {"sku": "JKT-URB-009", "name": "Urban Puffer", "price": 149.50, "rating": 4.4, "warmth": "warm",
     "waterproof": False, "colors": ["black", "navy", "olive"], "type": "Puffer",
     "description": "A warm city puffer with recycled synthetic fill, a two-way zip and a hood that packs into "
                    "the collar. Built for cold commutes and winter travel."},
    {"sku": "JKT-ALP-001", "name": "Alpine Light Jacket", "price": 179.99, "rating": 4.6, "warmth": "light",
     "waterproof": True, "colors": ["red", "blue", "black"], "type": "Jacket",
     "description": "A lightweight waterproof shell jacket for fast alpine days: taped seams, a helmet-"
                    "compatible hood and pit zips for hiking and climbing in changeable weather."},
    {"sku": "JKT-ALP-002", "name": "Alpine Insulated", "price": 199.00, "rating": 4.7, "warmth": "extra_warm",
     "waterproof": True, "colors": ["black", "grey", "orange"], "type": "Jacket",
     "description": "An extra warm insulated waterproof jacket for skiing and snowshoeing: down-alternative "
                    "fill, powder skirt and a storm hood."},
)
# The example request's constraint: no other jacket at least this warm may cost less than the Urban Puffer.
SEED_WARM_JACKET_FLOOR = 150.0


def _price(rng: random.Random, low: int, high: int) -> float:
    whole = rng.randint(low, high)
    return float(f"{whole}.{rng.choice(('00', '50', '95', '99', '49', '75', '25'))}")


def _description(rng: random.Random, spec: CategorySpec, ptype: str, attrs: dict[str, Any]) -> str:
    parts = []
    warmth = attrs.get("warmth")
    lead = WARMTH_WORDS[warmth] + " " if warmth else ""
    if attrs.get("waterproof"):
        lead += "waterproof "
    uses = attrs["activities"]
    parts.append(f"A {lead}{ptype.lower()} made for {uses[0]}" + (f" and {uses[1]}." if len(uses) > 1 else "."))
    if "capacity_l" in attrs:
        parts.append(f"{attrs['capacity_l']} litre capacity with a padded back panel.")
    if "persons" in attrs:
        parts.append(f"Sleeps {attrs['persons']}; {attrs['season']} design, packed weight {attrs['weight_kg']} kg.")
    if "comfort_c" in attrs:
        parts.append(f"Comfort rated to {attrs['comfort_c']} C.")
    parts.append(rng.choice((
        "Recycled fabrics throughout.", "Reinforced where it wears first.", "Packs down small.",
        "A relaxed fit that layers easily.", "Backed by a lifetime repair promise.", "Quick-drying and breathable.",
    )))
    return " ".join(parts)


def _generated(rng: random.Random, size: int) -> Iterator[dict[str, Any]]:
    reserved_names = {p["name"] for p in SEED_PRODUCTS}
    reserved_skus = {p["sku"] for p in SEED_PRODUCTS}
    counters: dict[tuple[str, str], int] = {}
    names: set[str] = set(reserved_names)
    categories = list(CATEGORIES)
    made = 0
    attempts = 0
    while made < size:
        attempts += 1
        if attempts > size * 50:
            raise ValueError(f"cannot make {size} distinct product names from the name parts")
        category = categories[made % len(categories)]
        spec = CATEGORIES[category]
        series = rng.choice(SERIES)
        ptype = rng.choice(spec.types)
        # Large catalogs need more distinct names than series x modifier x type gives: add a generation mark.
        mark = "" if attempts <= size * 2 else f" {rng.randint(2, 99)}"
        name = f"{series} {rng.choice(MODIFIERS)} {ptype}{mark}"
        if name in names:
            continue
        names.add(name)
        key = (spec.prefix, series[:3].upper())
        sku = ""
        while not sku or sku in reserved_skus:
            counters[key] = counters.get(key, 0) + 1
            sku = f"{spec.prefix}-{key[1]}-{counters[key]:03d}"
        attrs: dict[str, Any] = {}
        if spec.warmth:
            attrs["warmth"] = rng.choice(WARMTH_LEVELS)
        if spec.waterproof:
            attrs["waterproof"] = rng.random() < 0.5
        attrs["colors"] = sorted(rng.sample(COLORS, rng.randint(1, 4)))
        if spec.sizes:
            start = rng.randint(0, max(0, len(spec.sizes) - 3))
            attrs["sizes"] = list(spec.sizes[start:start + rng.randint(2, len(spec.sizes) - start)])
        attrs["activities"] = sorted(rng.sample(ACTIVITIES, 2))
        if category == "backpacks":
            attrs["capacity_l"] = rng.choice((12, 18, 22, 28, 32, 40, 48, 55, 65))
        if category == "tents":
            attrs["persons"] = rng.randint(1, 4)
            attrs["season"] = rng.choice(("3-season", "4-season"))
            attrs["weight_kg"] = round(rng.uniform(0.9, 4.5), 1)
        if category == "sleeping_bags":
            attrs["comfort_c"] = {"light": 10, "medium": 3, "warm": -5, "extra_warm": -15}[attrs["warmth"]]
        price = _price(rng, *spec.price_range)
        if category == "jackets" and attrs.get("warmth") in ("warm", "extra_warm") and price < SEED_WARM_JACKET_FLOOR:
            price = _price(rng, int(SEED_WARM_JACKET_FLOOR) + 9, spec.price_range[1])
        yield {
            "sku": sku,
            "name": name,
            "category": category,
            "price": price,
            "currency": "USD",
            "rating": round(rng.uniform(3.0, 5.0), 1),
            "in_stock": rng.random() < 0.8,
            "attributes": attrs,
            "description": _description(rng, spec, ptype, attrs),
        }
        made += 1


def _seed_product(p: dict[str, Any]) -> dict[str, Any]:
    attrs = {"warmth": p["warmth"], "waterproof": p["waterproof"], "colors": sorted(p["colors"]),
             "sizes": list(APPAREL_SIZES[1:5]),
             "activities": ["commuting", "travel"] if p["sku"] == "JKT-URB-009" else ["hiking", "skiing"]}
    return {"sku": p["sku"], "name": p["name"], "category": "jackets", "price": p["price"], "currency": "USD",
            "rating": p["rating"], "in_stock": True, "attributes": attrs, "description": p["description"]}


def generate_catalog(size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Return `size` products (the public sample's three jackets first), deterministic for a given seed."""
    if size < len(SEED_PRODUCTS):
        raise ValueError(f"size must be at least {len(SEED_PRODUCTS)}")
    rng = random.Random(seed)
    products = [_seed_product(p) for p in SEED_PRODUCTS]
    products.extend(_generated(rng, size - len(products)))
    return products


def write_catalog(path: Path, size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> int:
    """Write the catalog as JSONL (one product per line, stable key order); return the number of products."""
    products = generate_catalog(size, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for product in products:
            out.write(json.dumps(product, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(products)

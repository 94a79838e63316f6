"""How dataset requests are worded: category nouns, constraint phrases and sentence frames.

Every phrase maps to exactly one filter value (e.g. "warm" is `min_warmth: warm`, "under $200" is
`max_price: 200` with no product priced exactly $200), so a request never says more or less than its oracle.
"""

from __future__ import annotations

import random
from typing import Any

POLICY = (
    "You are the shopping assistant of an outdoor-gear store. Answer every request by calling the "
    "search_catalog tool first; call it again when you need another search or a comparison, and call "
    "get_product with a SKU for one product's full details (colours, sizes, stock, specifications). Use only "
    "what the tools return: never guess a product or a SKU from memory. When you know the answer, reply with "
    "only the product's SKU, exactly as the catalog writes it (for example ABC-XYZ-001), and no other words."
)


def policy_for(sku: str | None = None) -> str:
    """The developer message: POLICY for the shipped catalog (None); for another, given one of its SKUs, no shop
    type and a placeholder written like that SKU (GRDBUR001 -> XXXXXX000), so the model is not shown a format the
    catalog does not use."""
    if sku is None:
        return POLICY
    example = "".join("X" if ch.isalpha() else "0" if ch.isdigit() else ch for ch in sku)
    return POLICY.replace("an outdoor-gear store", "the store").replace("ABC-XYZ-001", example)

# Category -> (words before the adjectives, noun): "pair of" + "waterproof" + "boots".
NOUNS: dict[str, tuple[str, str]] = {
    "jackets": ("", "jacket"),
    "boots": ("pair of ", "boots"),
    "backpacks": ("", "backpack"),
    "tents": ("", "tent"),
    "sleeping_bags": ("", "sleeping bag"),
    "gloves": ("pair of ", "gloves"),
    "hats": ("", "hat"),
    "base_layers": ("", "base layer"),
    "pants": ("pair of ", "pants"),
    "fleece": ("", "fleece"),
}

SUPERLATIVES = {
    "price_asc": ("cheapest", "least expensive", "lowest-priced", "most affordable"),
    "price_desc": ("most expensive", "priciest", "highest-priced"),
    "rating_desc": ("best-rated", "highest-rated", "top-rated", "best-reviewed"),
}
COMPARATIVES = {
    "lowest_price": ("cheaper", "less expensive", "lower-priced"),
    "highest_price": ("more expensive", "pricier", "higher-priced"),
    "highest_rating": ("better rated", "higher rated", "better reviewed"),
}
PICK_SUPERLATIVES = {
    "lowest_price": ("cheapest", "least expensive"),
    "highest_price": ("most expensive", "priciest"),
    "highest_rating": ("best rated", "highest rated"),
}
TRIPS = ("hiking", "ski", "camping", "winter", "backpacking", "weekend")

SORTED_FRAMES = (
    "Return the SKU of the {sup} {desc}.",
    "What's the {sup} {desc}?",
    "Which {desc} is the {sup}? Just the SKU, please.",
    "I'm looking for the {sup} {desc}. What's its SKU?",
    "Can you find me the {sup} {desc}?",
    "{Sup} {desc}, please. SKU only.",
    "Look up the {sup} {desc} for me, please.",
    "Out of everything you stock, which {desc} is the {sup}?",
    "Getting ready for a {trip} trip and I need {a_desc}. Which one is the {sup}?",
    "I want to buy the {sup} {desc}. Which SKU is it?",
)
BUDGET_FRAMES = (  # most expensive within a budget: the budget is said once, outside the description
    "I can spend up to ${budget} on {a_desc}. What's the most expensive one I can afford?",
    "My budget is ${budget}. Which {desc} is the priciest I can get without going over?",
    "I have at most ${budget} for {a_desc}; give me the SKU of the most expensive one within that.",
)
ONLY_FRAMES = (
    "Do you have {a_desc}? Give me its SKU.",
    "I'm looking for {a_desc}. Which one do you carry?",
    "Is there {a_desc} in the catalog? SKU please.",
    "Find me {a_desc}, please.",
)
EXACT_NAME_FRAMES = (
    "What's the SKU of the {name}?",
    "I need the SKU for the {name}.",
    "Can you look up the {name} and give me its SKU?",
    "Do you sell the {name}? Reply with its SKU.",
    "A friend recommended the {name}. Which SKU is that?",
    "Find the {name} in the catalog, please.",
    "SKU for the {name}?",
    "I want to order the {name}. What SKU should I use?",
    'Looking for the product called "{name}".',
    "Please return the SKU of the {name}.",
)
PARTIAL_NAME_FRAMES = (
    "I'm after the {name} something, I forget the rest of the name. What's its SKU?",
    'There\'s a product with "{name}" in its name. Which SKU is it?',
    "What's the SKU of the {name} one?",
    "I only remember part of the name: {name}. Can you find it?",
    "Can you find the {name} thing I saw on your site? SKU please.",
    "Something called {name}... what's the SKU?",
    "Looking for the {name}, not sure of the full name.",
)
COMPARE_TWO_FRAMES = (
    "Which is {cmp}, the {a} or the {b}?",
    "Between the {a} and the {b}, which one is {cmp}? SKU only.",
    "I'm torn between the {a} and the {b}. Give me the SKU of whichever is {cmp}.",
    "The {a} or the {b}: which is {cmp}?",
    "Compare the {a} with the {b} and return the SKU of the {cmp} one.",
)
COMPARE_THREE_FRAMES = (
    "Which is the {sup}: the {a}, the {b} or the {c}?",
    "Out of the {a}, the {b} and the {c}, which one is the {sup}?",
    "I'm comparing the {a}, the {b} and the {c}. Return the SKU of the {sup} one.",
    "Of these three, the {a}, the {b} and the {c}, which is {sup}?",
)
CHEAPER_ALTERNATIVE_FRAMES = (
    "I like the {name} but it's over my budget. What's the best-rated {desc} that costs less than it?",
    "Find me {a_desc} cheaper than the {name}: the highest-rated one.",
    "The {name} is too pricey. Which {desc} that's cheaper than it has the best rating?",
    "Show me the top-rated {desc} priced below the {name}.",
)
BETTER_RATED_FRAMES = (
    "Is there {a_desc} rated higher than the {name}? Give me the cheapest one.",
    "What's the cheapest {desc} with a better rating than the {name}?",
    "I want something better reviewed than the {name}. Cheapest such {desc}, please.",
    "Find the least expensive {desc} that is rated higher than the {name}.",
)

# "Which of the two <sup> results for <a_desc> ...": a shortlist from one search, then each product's details.
SHORTLIST_FRAMES = (
    "Look at the two {sup} options for {a_desc}. Which one {cond}?",
    "I'm choosing between the two {sup} matches for {a_desc}. Which of them {cond}? SKU only.",
    "Search for {a_desc} and take the two {sup} results: which one {cond}?",
    "Of the two {sup} choices for {a_desc}, which {cond}? Give me its SKU.",
    "Between the two {sup} picks for {a_desc}, which one {cond}?",
)
# What the shortlisted products are checked for: only what get_product answers (stock is one flag per product).
STOCK_CONDITIONS = ("is in stock", "is currently in stock")
COLOR_CONDITIONS = ("comes in {}", "is offered in {}")
SIZE_CONDITIONS = ("comes in size {}", "is offered in size {}")
COLOR_SIZE_CONDITIONS = ("comes in {} and in size {}", "is offered in {} and in size {}")
SPEC_CONDITIONS = {
    "waterproof": ("is waterproof", "is the waterproof one"),
    "warmer": ("is warmer", "has the warmer rating"),
    "larger_capacity": ("has the larger capacity", "holds more"),
    "lighter": ("is lighter", "weighs less"),
}


def article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def money(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def _join(clauses: list[str]) -> str:
    if len(clauses) <= 1:
        return "".join(clauses)
    return ", ".join(clauses[:-1]) + " and " + clauses[-1]


def _adjective_or_clause(rng: random.Random, share: float, adjective: str, clause: str, adjectives: list[str],
                         clauses: list[str]) -> None:
    if rng.random() < share:
        adjectives.append(adjective)
    else:
        clauses.append(clause)


def describe(filters: dict[str, Any], rng: random.Random, price: bool = True) -> str:
    """A noun phrase that states every filter once: "pair of waterproof boots in navy under $150"."""
    adjectives: list[str] = []
    clauses: list[str] = []
    if filters.get("in_stock"):
        if rng.random() < 0.4:
            adjectives.append("in-stock")
        else:
            clauses.append(rng.choice(("that is in stock", "currently in stock", "you have in stock")))
    warmth = filters.get("min_warmth")
    if warmth == "warm":
        _adjective_or_clause(rng, 0.7, "warm", "rated warm or warmer", adjectives, clauses)
    elif warmth == "extra_warm":
        _adjective_or_clause(rng, 0.7, "extra-warm", "with an extra-warm rating", adjectives, clauses)
    elif warmth == "medium":
        clauses.append(rng.choice(("with at least medium warmth", "rated medium warmth or warmer")))
    if filters.get("waterproof"):
        _adjective_or_clause(rng, 0.8, "waterproof", "that is waterproof", adjectives, clauses)
    color = filters.get("color")
    if color:
        if rng.random() < 0.5:
            adjectives.append(color)
        else:
            clauses.append(rng.choice(("in {}", "in the colour {}", "that comes in {}")).format(color))
    size = filters.get("size")
    if size:
        clauses.append(rng.choice(("in size {}", "available in size {}", "that comes in size {}")).format(size))
    rating = filters.get("min_rating")
    if rating is not None:
        clauses.append(rng.choice(("rated {} or higher", "with a rating of at least {}", "with {}+ stars"))
                       .format(rating))
    low, high = filters.get("min_price"), filters.get("max_price")
    if price and low is not None and high is not None:
        clauses.append(rng.choice(("between ${} and ${}", "priced from ${} to ${}")).format(money(low), money(high)))
    elif price and high is not None:
        clauses.append(rng.choice(("under ${}", "below ${}", "for ${} or less", "that costs no more than ${}"))
                       .format(money(high)))
    elif price and low is not None:
        clauses.append(rng.choice(("over ${}", "above ${}", "costing more than ${}", "priced over ${}"))
                       .format(money(low)))
    category = filters["category"]
    # Another catalog's category: its name as a plural noun ("coffee_grinders" -> "coffee grinders").
    before, noun = NOUNS.get(category, ("", category.replace("_", " ")))
    head = before + " ".join([*adjectives, noun])
    return head + (" " + _join(clauses) if clauses else "")


def fill(frame: str, rng: random.Random, **slots: str) -> str:
    """Fill a frame; `{Sup}` is `{sup}` capitalised, `{a_desc}` is `{desc}` with its article."""
    if "sup" in slots:
        slots["Sup"] = slots["sup"][:1].upper() + slots["sup"][1:]
    if "desc" in slots:
        slots["a_desc"] = article(slots["desc"])
    slots.setdefault("trip", rng.choice(TRIPS))
    text = frame.format(**slots)
    return text[:1].upper() + text[1:]


def casual(text: str, rng: random.Random, rate: float = 0.12) -> str:
    """Some shoppers type in lower case without the final full stop."""
    if rng.random() >= rate:
        return text
    return text.lower().rstrip(".")

"""The phrases the request parser recognises, as compiled patterns and word lists (all on lower-cased text)."""

from __future__ import annotations

import re

# Request words that never help a full-text search (on top of the catalog's own stop words).
FILLER = frozenset(
    """return reply answer respond just only nothing else you your tell which what whats is are there our store
    shop catalog catalogue available recommend suggest pick choose can could would should me i im i'm we us
    has have had code id identifier one ones item thing something looking look need needs want wants
    rated rating stars star dollars usd between and than less more least most lowest highest
    priced cost costs costing affordable cheaper pricier option options sells sell sold called named name
    sure full not quite remember part find there's it's its s m""".split()
)
# Product-type words that also point to a category. They stay in the query: they narrow the type.
CATEGORY_SYNONYMS = {
    "jackets": ("coat", "coats", "parka", "parkas", "puffer", "puffers", "shell", "shells", "windbreaker"),
    "backpacks": ("pack", "packs", "daypack", "daypacks", "rucksack", "rucksacks"),
    "hats": ("beanie", "beanies", "cap", "caps"),
    "pants": ("trousers", "joggers"),
    "sleeping_bags": ("quilt", "quilts", "mummy bag"),
    "gloves": ("mittens", "mitts"),
    "base_layers": ("baselayer", "baselayers", "thermals"),
    "fleece": ("fleeces", "hoodie", "hoodies", "pullover", "pullovers"),
}
COLOR_SYNONYMS = {"gray": "grey"}

_NUMBER = r"(\d[\d,]*(?:\.\d+)?)"
MONEY = rf"(?:\$\s*{_NUMBER}|{_NUMBER}\s*(?:dollars|usd|\$))"  # two groups: "$200" or "200 dollars"
BETWEEN = re.compile(rf"\b(?:between|from)\s+{MONEY}\s*(?:and|to|-)\s*{MONEY}")
MAX_PRICE = re.compile(rf"\b(?:under|below|less than|cheaper than|at most|up to|no more than|max(?:imum)?(?: of)?"
                       rf"|within|budget(?: is| of)?|for less than|for)\s+{MONEY}(?!\s*or (?:more|above|over))"
                       rf"|{MONEY}\s*or (?:less|under|below|cheaper)")
MIN_PRICE = re.compile(rf"\b(?:over|above|more than|at least|from|starting at|pricier than|no less than)\s+{MONEY}"
                       rf"|{MONEY}\s*or (?:more|above|over)")
MIN_RATING = re.compile(r"\b(?:rated|rating(?: of)?|with a rating of)\s+(?:of\s+)?(?:at least|above|over|>=)?\s*"
                        r"(\d(?:\.\d+)?)\s*(?:stars?)?(?:\s+or\s+(?:more|higher|better|above))?"
                        r"|\b(?:at least\s+)?(\d(?:\.\d+)?)\s*(?:\+\s*)?stars?(?:\s+or\s+(?:more|higher|better))?")
SORTS = (
    ("price_asc", re.compile(r"\b(?:cheapest|least expensive|low(?:er|est)[- ]priced?|lowest price|most affordable|"
                             r"cheaper|less expensive|costs? the least|lowest cost)\b")),
    ("price_desc", re.compile(r"\b(?:most expensive|priciest|high(?:er|est)[- ]priced?|highest price|"
                              r"more expensive|pricier|costliest|costs? the most)\b")),
    ("rating_desc", re.compile(r"\b(?:best|highest|top|better|higher)[- ](?:rated|reviewed)\b|\bbest rating\b|"
                               r"\bhighest rating\b")),
)
# "<relation> than <named product>": the answer is relative to another product (a second search).
RELATIONS = (
    ("cheaper", re.compile(r"\b(?:(?:cheaper|less expensive|costs? less|low(?:er)?[- ]priced)\s+than|"
                           r"priced (?:below|under|lower than|less than))\b")),
    ("pricier", re.compile(r"\b(?:(?:pricier|more expensive|costs? more|high(?:er)?[- ]priced)\s+than|"
                           r"priced (?:above|over|higher than|more than))\b")),
    ("better_rated", re.compile(r"\b(?:better[- ](?:rated|reviewed)|rated (?:higher|better)|higher[- ]rated|"
                                r"(?:a )?(?:better|higher) rating)\s+than\b")),
)
IN_STOCK = re.compile(r"\bin[- ]stock\b|\bavailable (?:now|to ship|today)\b|\bready to ship\b")
OUT_OF_STOCK = re.compile(r"\bout[- ]of[- ]stock\b")
NOT_WATERPROOF = re.compile(r"\b(?:not|non)[- ]?waterproof\b")
WATERPROOF = re.compile(r"\bwaterproof\b")
WARMTH = (
    ("extra_warm", re.compile(r"\bextra[- ]warm\b|\bwarmest\b")),
    ("medium", re.compile(r"\bmid[- ]weight\b|\bmedium[- ]warmth\b|\bmedium[- ]warm\b")),
    ("warm", re.compile(r"\bwarm\b")),
)
SIZE = re.compile(r"\bsize\s+([a-z0-9/]+)\b")
WORD = re.compile(r"[a-z0-9]+")
# "Of the two cheapest ..., which one ...": a shortlist from one search, each product then checked in detail.
SHORTLIST = re.compile(r"\b(?:two|2)\b")
WHICH = re.compile(r"\bwhich\b")
# Spec comparisons within a shortlist: (spec, best, pattern).
SPEC_PICKS = (
    ("capacity_l", "max", re.compile(r"\b(?:larger|bigger|more) capacity\b|\bholds more\b")),
    ("weight_kg", "min", re.compile(r"\blighter\b|\bweighs less\b")),
    ("warmth", "max", re.compile(r"\bwarmer\b")),
)

"""The scripted policy: request parsing, seeded mistakes, and how it reads tool outputs (no HTTP here)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from catalog_tools.tools import tool_definitions
from rftkit import DATA_DIR
from rftkit.rollouts import ScriptedPolicy, ToolResult, Vocabulary, normalize_item, parse_request
from rftkit.rollouts.request_parser import follow_up_search
from rftkit.rollouts.scripted import MISTAKES, NOT_FOUND
from rftkit.util.jsonl import read_jsonl
from tests.rollouts_support import make_row


@pytest.fixture(scope="module")
def vocab(catalog) -> Vocabulary:
    return Vocabulary.from_catalog(catalog)


@pytest.fixture(scope="module")
def policy(catalog) -> ScriptedPolicy:
    return ScriptedPolicy(catalog=catalog)


@pytest.mark.parametrize(("request_text", "expected"), [
    ("Return the SKU of the cheapest warm jacket under $200.",
     {"query": "", "category": "jackets", "max_price": 200, "min_warmth": "warm", "sort": "price_asc"}),
    ("I need the best rated waterproof hiking boots in size 10, in stock, over $100.",
     {"query": "", "category": "boots", "min_price": 100, "in_stock": True, "waterproof": True, "size": "10",
      "sort": "rating_desc"}),  # with filters, chatter ("I need", "hiking") stays out of the query
    ("Find me the most expensive extra-warm sleeping bag between $100 and $300.",
     {"query": "", "category": "sleeping_bags", "min_price": 100, "max_price": 300, "min_warmth": "extra_warm",
      "sort": "price_desc"}),
    ("A navy fleece hoodie rated at least 4.5 stars, cheaper than $80",
     {"query": "hoodie", "category": "fleece", "max_price": 80, "min_rating": 4.5, "color": "navy"}),
    ("Which gray beanie costs the least?", {"query": "beanie", "category": "hats", "color": "grey",
                                            "sort": "price_asc"}),
    ("Highest-rated tent under 300 dollars", {"query": "", "category": "tents", "max_price": 300,
                                              "sort": "rating_desc"}),
    ("Show me a non-waterproof backpack over $49.99 for travel",
     {"query": "", "category": "backpacks", "min_price": 49.99, "waterproof": False}),
    ("Getting ready for a backpacking trip and I need a tent for $325 or less. Which one is the priciest?",
     {"query": "", "category": "tents", "max_price": 325, "sort": "price_desc"}),
    ("My budget is $350. Which tent is the priciest I can get without going over?",
     {"query": "", "category": "tents", "max_price": 350, "sort": "price_desc"}),
    ("Return the SKU of the best-reviewed fleece that is in stock, in size XL and priced from $110 to $130.",
     {"query": "", "category": "fleece", "min_price": 110, "max_price": 130, "in_stock": True, "size": "XL",
      "sort": "rating_desc"}),
    ("I only remember part of the name: insulated top. Can you find it?", {"query": "insulated top"}),
    ("Please return the SKU of the Noridc Flex Tunnel Tent.", {"query": "noridc flex tunnel", "category": "tents"}),
    ("What is the SKU of the Urban Puffer?", {"query": "urban puffer", "top_k": 3}),
])
def test_requests_become_search_arguments(vocab, request_text, expected):
    (search,) = parse_request(request_text, vocab).searches
    assert search == expected


def test_sort_words_set_the_pick(vocab):
    assert parse_request("the cheapest tent", vocab).pick == "cheapest"
    assert parse_request("the most expensive tent", vocab).pick == "priciest"
    assert parse_request("the best-rated tent", vocab).pick == "best_rated"
    assert parse_request("a tent", vocab).pick == "first"


def test_a_comparison_of_two_named_products_is_two_searches(vocab):
    plan = parse_request("Which is more expensive, the Alpine Light Jacket or the Urban Puffer?", vocab)
    assert plan.searches == ({"query": "alpine light jacket", "top_k": 1}, {"query": "urban puffer", "top_k": 1})
    assert plan.pick == "priciest" and plan.named == ("alpine light jacket", "urban puffer")


def test_the_longest_name_wins_and_words_inside_a_name_are_not_filters(vocab):
    # "Alpine Light Jacket" contains the shorter catalog words "light" and "jacket": one name, no category filter.
    (search,) = parse_request("Is the Alpine Light Jacket waterproof?", vocab).searches
    assert search == {"query": "alpine light jacket", "top_k": 3}


@pytest.mark.parametrize(("request_text", "relation", "second"), [
    ("What's the cheapest hat with at least medium warmth with a better rating than the Granite Classic Trapper Hat?",
     "better_rated", {"query": "", "min_warmth": "medium", "sort": "price_asc", "category": "hats"}),
    ("Show me the top-rated olive hat priced below the Sierra Drift Trapper Hat.",
     "cheaper", {"query": "", "color": "olive", "sort": "rating_desc", "category": "hats"}),
    ("I like the Coastal Peak Ski Pants but it's over my budget. What's the best-rated pair of pants that costs "
     "less than it?", "cheaper", {"query": "", "sort": "rating_desc", "category": "pants"}),
])
def test_relative_requests_look_the_product_up_then_search_relative_to_it(vocab, request_text, relation, second):
    plan = parse_request(request_text, vocab)
    (lookup,) = plan.searches
    assert lookup == {"query": plan.named[0], "top_k": 3}
    assert plan.follow_up.relation == relation and plan.follow_up.search == second


def test_the_follow_up_search_is_bounded_by_the_product_found(vocab):
    plan = parse_request("Find me a jacket cheaper than the Fjord Light Parka: the highest-rated one.", vocab)
    base = {"sku": "JKT-FJO-004", "category": "jackets", "price": 120.0, "rating": 4.1}
    assert follow_up_search(plan.follow_up, base) == {"query": "", "category": "jackets", "sort": "rating_desc",
                                                      "max_price": 119.99, "top_k": 10}
    better = parse_request("A fleece rated higher than the Harbor Drift Hoodie, the cheapest one.", vocab)
    assert follow_up_search(better.follow_up, {**base, "category": "fleece"})["min_rating"] == 4.15


def test_a_relative_session_makes_two_sequential_calls_and_skips_the_named_product(policy):
    session = _start(policy, "Find me a jacket cheaper than the Coastal Pro Parka: the highest-rated one.")
    first = asyncio.run(session.next_turn([]))
    assert json.loads(first.tool_calls[0].arguments) == {"query": "coastal pro parka", "top_k": 3}
    second = asyncio.run(session.next_turn(_result(first, [JACKETS[1]])))
    assert json.loads(second.tool_calls[0].arguments)["max_price"] == 155.99
    final = asyncio.run(session.next_turn(_result(second, [JACKETS[1], JACKETS[0]])))
    assert final.text == "JKT-URB-009"


def _start(policy, request, row_id="r", sample_index=0, **row):
    item = normalize_item(make_row(row_id, request, "X", **row))
    return policy.start(item, row_id=row_id, sample_index=sample_index)


def _result(turn, items):
    return [ToolResult(call, json.dumps({"items": items})) for call in turn.tool_calls]


JACKETS = [{"sku": "JKT-URB-009", "name": "Urban Puffer", "price": 149.5, "rating": 4.4},
           {"sku": "JKT-COA-002", "name": "Coastal Pro Parka", "price": 156.0, "rating": 3.0}]


def test_a_clean_session_calls_the_tool_then_answers_the_top_sku(policy):
    session = _start(policy, "Return the SKU of the cheapest warm jacket under $200.")
    first = asyncio.run(session.next_turn([]))
    (call,) = first.tool_calls
    assert call.name == "search_catalog" and isinstance(call.arguments, str)
    assert call.call_id.startswith("call_") and call.id.startswith("fc_")
    final = asyncio.run(session.next_turn(_result(first, JACKETS)))
    assert final.is_final and final.text == "JKT-URB-009"


def test_a_comparison_picks_by_price_among_the_parallel_results(policy):
    session = _start(policy, "Which is cheaper: the Coastal Pro Parka or the Urban Puffer?")
    first = asyncio.run(session.next_turn([]))
    assert len(first.tool_calls) == 2
    results = [ToolResult(first.tool_calls[0], json.dumps({"items": [JACKETS[1]]})),
               ToolResult(first.tool_calls[1], json.dumps({"items": [JACKETS[0]]}))]
    assert asyncio.run(session.next_turn(results)).text == "JKT-URB-009"


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake(policy, mistake):
    session = _start(policy, "Return the SKU of the cheapest warm jacket under $200.")
    session.mistake = mistake
    first = asyncio.run(session.next_turn([]))
    if mistake == "skip_tool":  # answers from memory, right, without calling the tool
        assert first.is_final and first.text == "JKT-URB-009"
        return
    text = asyncio.run(session.next_turn(_result(first, JACKETS))).text
    if mistake == "wrong_pick":
        assert text == "JKT-COA-002"
    else:  # prose: the right SKU inside a sentence
        assert "JKT-URB-009" in text and text != "JKT-URB-009"


def test_a_row_without_the_tool_is_answered_from_memory(policy):
    session = _start(policy, "Return the SKU of the cheapest warm jacket under $200.", tools=None)
    turn = asyncio.run(session.next_turn([]))
    assert turn.is_final and turn.text == "JKT-URB-009"


def test_an_error_output_gets_one_relaxed_retry_then_not_found(policy):
    session = _start(policy, "Return the SKU of the cheapest red warm jacket under $200.")
    first = asyncio.run(session.next_turn([]))
    assert json.loads(first.tool_calls[0].arguments)["color"] == "red"
    error = [ToolResult(first.tool_calls[0], json.dumps({"error": "invalid_arguments"}))]
    retry = asyncio.run(session.next_turn(error))
    assert json.loads(retry.tool_calls[0].arguments) == {"query": "", "category": "jackets", "sort": "price_asc"}
    assert asyncio.run(session.next_turn(_result(retry, []))).text == NOT_FOUND


def test_mistakes_are_seeded_per_row_and_sample_and_follow_the_error_rate(catalog):
    def mistakes(policy):
        return [_start(policy, "a tent", row_id=f"r{i}", sample_index=s).mistake for i in range(200) for s in range(5)]

    noisy = mistakes(ScriptedPolicy(catalog=catalog, error_rate=0.3, seed=7))
    assert noisy == mistakes(ScriptedPolicy(catalog=catalog, error_rate=0.3, seed=7))
    assert noisy != mistakes(ScriptedPolicy(catalog=catalog, error_rate=0.3, seed=8))
    counts = Counter(noisy)
    assert 0.25 < 1 - counts[None] / len(noisy) < 0.35
    assert set(counts) == {None, *MISTAKES}
    assert set(mistakes(ScriptedPolicy(catalog=catalog, error_rate=0.0))) == {None}
    assert None not in mistakes(ScriptedPolicy(catalog=catalog, error_rate=1.0))


def test_the_error_rate_is_checked(catalog):
    with pytest.raises(ValueError, match="error_rate"):
        ScriptedPolicy(catalog=catalog, error_rate=1.5)


# --- requests about a shortlist: a search, then get_product for each of its first two results ---------------------

@pytest.mark.parametrize(("request_text", "search", "require", "pick"), [
    ("Look at the two lowest-priced options for a brown tent priced over $400. Which one is lighter?",
     {"query": "", "category": "tents", "min_price": 400, "color": "brown", "sort": "price_asc"}, {},
     ("weight_kg", "min")),
    ("Between the two best-rated picks for a fleece for $130 or less, which one is currently in stock and is "
     "offered in size S?", {"query": "", "category": "fleece", "max_price": 130, "sort": "rating_desc"},
     {"in_stock": True, "size": "S"}, None),
    ("i'm choosing between the two cheapest matches for a pair of gloves for $30 or less. which of them comes in "
     "grey and in size s? sku only", {"query": "", "category": "gloves", "max_price": 30, "sort": "price_asc"},
     {"color": "grey", "size": "S"}, None),
    ("Search for a purple backpack and take the two most affordable results: which one has the larger capacity?",
     {"query": "", "category": "backpacks", "color": "purple", "sort": "price_asc"}, {}, ("capacity_l", "max")),
    ("Of the two priciest choices for a pair of pants below $140, which is the waterproof one? Give me its SKU.",
     {"query": "", "category": "pants", "max_price": 140, "sort": "price_desc"}, {"waterproof": True}, None),
])
def test_shortlist_requests_become_a_search_and_a_detail_check(vocab, request_text, search, require, pick):
    plan = parse_request(request_text, vocab)
    assert plan.searches == (search,) and plan.check is not None
    assert (plan.check.require, plan.check.pick, plan.check.take) == (require, pick, 2)


TENTS = [{"sku": "TNT-A", "name": "Alpha Tent", "price": 410.0, "rating": 4.0, "in_stock": True,
          "attributes": {"colors": ["brown"], "weight_kg": 2.4}},
         {"sku": "TNT-B", "name": "Bravo Tent", "price": 420.0, "rating": 4.1, "in_stock": False,
          "attributes": {"colors": ["brown", "red"], "weight_kg": 1.9}},
         {"sku": "TNT-C", "name": "Charlie Tent", "price": 430.0, "rating": 4.2, "in_stock": True,
          "attributes": {"colors": ["brown"], "weight_kg": 1.2}}]


def _details(item):
    attributes = item["attributes"]
    return {"sku": item["sku"], "in_stock": item["in_stock"], "colors": attributes["colors"], "sizes": [],
            "specs": {k: v for k, v in attributes.items() if k != "colors"}}


@pytest.mark.parametrize(("question", "answer", "other"), [
    ("which one is lighter?", "TNT-B", "TNT-A"),
    ("which one is in stock and comes in brown?", "TNT-A", "TNT-B"),
    ("which one comes in red?", "TNT-B", "TNT-A"),
])
def test_a_shortlist_session_reads_both_products_with_get_product_then_answers(policy, question, answer, other):
    request = f"Look at the two cheapest options for a tent priced over $400. {question.capitalize()}"
    session = _start(policy, request, tools=tool_definitions())
    first = asyncio.run(session.next_turn([]))
    assert [c.name for c in first.tool_calls] == ["search_catalog"]
    second = asyncio.run(session.next_turn(_result(first, TENTS)))  # the third result is not read
    assert [(c.name, json.loads(c.arguments)) for c in second.tool_calls] == [
        ("get_product", {"sku": "TNT-A"}), ("get_product", {"sku": "TNT-B"})]
    outputs = [ToolResult(call, json.dumps(_details(item))) for call, item in zip(second.tool_calls, TENTS,
                                                                                    strict=False)]
    assert asyncio.run(session.next_turn(outputs)).text == answer
    wrong = _start(policy, request, tools=tool_definitions())
    wrong.mistake = "wrong_pick"
    asyncio.run(wrong.next_turn([]))
    asyncio.run(wrong.next_turn(_result(first, TENTS)))
    assert asyncio.run(wrong.next_turn(outputs)).text == other  # the other one of the two


def test_a_shortlist_without_get_product_is_checked_on_the_search_results(policy):
    request = "Look at the two cheapest options for a tent priced over $400. Which one is lighter?"
    session = _start(policy, request)  # the row offers search_catalog only
    first = asyncio.run(session.next_turn([]))
    assert asyncio.run(session.next_turn(_result(first, TENTS))).text == "TNT-B"
    # With get_product offered but failing (e.g. not routed), the search item stands in for its details.
    session = _start(policy, request, tools=tool_definitions())
    second = asyncio.run(session.next_turn(_result(asyncio.run(session.next_turn([])), TENTS)))
    errors = [ToolResult(call, json.dumps({"error": "unknown_tool"})) for call in second.tool_calls]
    assert asyncio.run(session.next_turn(errors)).text == "TNT-B"
    # No product meets the check: the policy says so rather than guess.
    session = _start(policy, request.replace("is lighter", "comes in green"), tools=tool_definitions())
    second = asyncio.run(session.next_turn(_result(asyncio.run(session.next_turn([])), TENTS)))
    details = [ToolResult(call, json.dumps(_details(i))) for call, i in zip(second.tool_calls, TENTS, strict=False)]
    assert asyncio.run(session.next_turn(details)).text == NOT_FOUND


def test_shortlist_rows_answered_from_memory_are_right(policy):
    rows = [r for r in read_jsonl(DATA_DIR / "valid_tool.jsonl") if r["metadata"]["oracle"]["kind"] == "details"]
    for row in rows:
        session = policy.start(normalize_item(row), row_id=row["id"], sample_index=0)
        session.mistake = "skip_tool"
        assert asyncio.run(session.next_turn([])).text == row["reference_answer"], row["id"]

"""Full-text postings with SQLite FTS5's own terms and FTS5's bm25(), held in compact Python arrays.

Terms come from FTS5 itself (the `porter unicode61` tokenizer, asked through a small in-memory table). A row's BM25
for one phrase depends only on the phrase's weighted frequency f in the row and the row's length in tokens, and
is computed here with the exact floating-point expression of FTS5's bm25(), summed over phrases in phrase order as
FTS5 sums them: the ranking is FTS5's, bit for bit. Ranking many matches does not score row by row: rows are
grouped by (f of each phrase, length) with bitsets, and groups are visited best score first (`best_scored`).
"""

from __future__ import annotations

import heapq
import math
import re
import sqlite3
import threading
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from functools import lru_cache

from . import bitsets

COLUMN_WEIGHTS = (10.0, 10.0, 3.0, 2.0, 1.0)  # sku, name, category, attributes, description
K1, B = 1.2, 0.75  # FTS5's bm25() constants
DENSE_SHARE = 64  # a term in at least 1/64 of the rows keeps ready bitsets; rarer ones build them when asked
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")  # what unicode61 makes of lower-cased ASCII text


class Fts5Tokens:
    """FTS5's tokenizer, asked through an in-memory SQLite database: unicode61 splitting (for non-ASCII text) and
    the porter stem of each token. Thread-safe; stems are remembered."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript(
            """
            CREATE VIRTUAL TABLE split USING fts5(x, tokenize='unicode61');
            CREATE VIRTUAL TABLE split_terms USING fts5vocab(split, 'instance');
            CREATE VIRTUAL TABLE stem USING fts5(x, tokenize='porter unicode61');
            CREATE VIRTUAL TABLE stem_terms USING fts5vocab(stem, 'instance');
            """
        )
        self._lock = threading.Lock()
        self._stems: dict[str, str] = {}

    def split(self, texts: list[str]) -> list[list[str]]:
        """Each (non-ASCII) text's tokens, as FTS5 indexes them before stemming."""
        out: list[list[str]] = [[] for _ in texts]
        with self._lock:
            self._db.executemany("INSERT INTO split(rowid, x) VALUES (?, ?)", enumerate(texts))
            for term, doc in self._db.execute("SELECT term, doc FROM split_terms"):
                out[doc].append(term)
            self._db.execute("DELETE FROM split")
        return out

    def stems(self, tokens: Iterable[str]) -> dict[str, str]:
        """token -> its porter stem, for many tokens at once (all remembered stems are returned)."""
        missing = sorted({t for t in tokens if t not in self._stems})
        if missing:
            with self._lock:
                self._db.executemany("INSERT INTO stem(rowid, x) VALUES (?, ?)", enumerate(missing))
                for term, doc in self._db.execute("SELECT term, doc FROM stem_terms"):
                    self._stems[missing[doc]] = term
                self._db.execute("DELETE FROM stem")
        return self._stems

    def stem(self, token: str) -> str:
        stem = self._stems.get(token)
        return stem if stem is not None else self.stems([token]).get(token, token)


def _norm(length: int, avgdl: float) -> float:
    return K1 * (1 - B + B * float(length) / avgdl)  # fts5Bm25Function's length term, operation for operation


def contribution(idf: float, freq: float, norm: float) -> float:
    """One phrase's bm25() term in one row: FTS5's expression, so the doubles come out identical."""
    return idf * ((freq * (K1 + 1.0)) / (freq + norm))


class Postings:
    """The rows holding one phrase (positions ascending) with the phrase's weighted frequency in each."""

    __slots__ = ("positions", "freqs", "idf", "rows", "_mask", "_groups")

    def __init__(self, positions: array, freqs: array, rows: int):
        self.positions, self.freqs, self.rows = positions, freqs, rows
        hits = len(positions)
        idf = math.log((rows - hits + 0.5) / (hits + 0.5))  # fts5Bm25GetData, including its floor
        self.idf = idf if idf > 0.0 else 1e-6
        dense = hits * DENSE_SHARE >= rows
        self._mask = bitsets.from_positions(positions, rows) if dense else None
        self._groups = self._make_groups() if dense else None

    def __len__(self) -> int:
        return len(self.positions)

    def mask(self) -> int:
        return self._mask if self._mask is not None else bitsets.from_positions(self.positions, self.rows)

    def _make_groups(self) -> list[tuple[float, int]]:
        by_freq: dict[float, list[int]] = {}
        for position, freq in zip(self.positions, self.freqs, strict=True):
            by_freq.setdefault(freq, []).append(position)
        return [(f, bitsets.from_positions(p, self.rows)) for f, p in by_freq.items()]

    def groups(self) -> list[tuple[float, int]]:
        """(f, rows with that f) for each distinct weighted frequency."""
        return self._groups if self._groups is not None else self._make_groups()

    def freq_at(self, position: int) -> float:
        i = bisect_left(self.positions, position)
        return self.freqs[i] if i < len(self.positions) and self.positions[i] == position else 0.0


class TextIndex:
    """Postings of every FTS5 term of the documents (one tuple of column texts per row), and the query words'
    vocabulary: `words` (every part) and `named_words` (every part but the SKU)."""

    def __init__(self, documents: list[tuple[str, ...]], tokens: Fts5Tokens):
        self.tokens = tokens
        self.rows = len(documents)
        self.words: set[str] = set()
        self.named_words: set[str] = set()
        non_ascii = {(row, column): text for row, doc in enumerate(documents) for column, text in enumerate(doc)
                     if not text.isascii()}
        split = dict(zip(non_ascii, tokens.split(list(non_ascii.values())), strict=True)) if non_ascii else {}
        lengths = array("l")
        raw: dict[str, tuple[array, array]] = {}  # token -> (rows, weighted frequencies)
        for row, doc in enumerate(documents):
            freqs: dict[str, float] = {}
            length = 0
            for column, (text, weight) in enumerate(zip(doc, COLUMN_WEIGHTS, strict=True)):
                words = _ASCII_TOKEN.findall(text.lower())
                self.words.update(words)
                if column:
                    self.named_words.update(words)
                parts = words if text.isascii() else split[row, column]
                length += len(parts)
                for token in parts:  # bm25() adds the column weight per instance; these sums are exact
                    freqs[token] = freqs.get(token, 0.0) + weight
            lengths.append(length)
            for token, freq in freqs.items():
                entry = raw.get(token)
                if entry is None:
                    entry = raw[token] = (array("i"), array("d"))
                entry[0].append(row)
                entry[1].append(freq)
        stem_of = tokens.stems(set(raw) | self.words)  # query words resolve to stems too
        by_stem: dict[str, list[str]] = {}
        for token in raw:
            by_stem.setdefault(stem_of[token], []).append(token)
        avgdl = (float(sum(lengths)) / float(self.rows)) or 1.0  # xColumnTotalSize(-1) / xRowCount
        self._norms = array("d", [_norm(n, avgdl) for n in lengths])
        length_rows: dict[int, list[int]] = {}
        for row, n in enumerate(lengths):
            length_rows.setdefault(n, []).append(row)
        # Rows of each length, shortest first: for fixed frequencies a shorter row scores at least as high.
        self.by_length = [(_norm(n, avgdl), bitsets.from_positions(length_rows[n], self.rows))
                          for n in sorted(length_rows)]
        self.terms = {stem: self._merge([raw[t] for t in group]) for stem, group in by_stem.items()}
        self._sorted_terms = sorted(self.terms)
        self.prefix = lru_cache(maxsize=512)(self._prefix)

    def _merge(self, postings: list[tuple[array, array]]) -> Postings:
        """One term's postings from those of its tokens (tokens with one stem are one FTS5 term)."""
        if len(postings) == 1:
            return Postings(postings[0][0], postings[0][1], self.rows)
        merged: dict[int, float] = {}
        for positions, freqs in postings:
            for position, freq in zip(positions, freqs, strict=True):
                merged[position] = merged.get(position, 0.0) + freq
        ordered = sorted(merged)
        return Postings(array("i", ordered), array("d", [merged[p] for p in ordered]), self.rows)

    def exact(self, word: str) -> Postings | None:
        """The phrase `"word"`: the rows holding the word's stem."""
        return self.terms.get(self.tokens.stem(word))

    def _prefix(self, word: str) -> Postings | None:
        """The phrase `"word"*`: FTS5 stems the prefix too, then takes every term starting with it."""
        stem = self.tokens.stem(word)
        start = bisect_left(self._sorted_terms, stem)
        matching = []
        for term in self._sorted_terms[start:]:
            if not term.startswith(stem):
                break
            postings = self.terms[term]
            matching.append((postings.positions, postings.freqs))
        return self._merge(matching) if matching else None

    def score(self, phrases: list[Postings], position: int) -> float:
        """bm25() of one row, negated back to "higher is better"; absent phrases add 0.0, as in FTS5."""
        norm = self._norms[position]
        total = 0.0
        for phrase in phrases:
            total += contribution(phrase.idf, phrase.freq_at(position), norm)
        return total


def _leaves(phrases: list[Postings], mask: int) -> list[tuple[tuple[float, ...], int]]:
    """Split `mask` by the weighted frequency of every phrase (0.0 = absent): rows of one leaf differ only in
    length."""
    leaves: list[tuple[tuple[float, ...], int]] = [((), mask)]
    for phrase in phrases:
        present = phrase.mask()
        split = []
        for freqs, rows in leaves:
            for f, group in phrase.groups():
                sub = rows & group
                if sub:
                    split.append(((*freqs, f), sub))
            absent = rows & ~present
            if absent:
                split.append(((*freqs, 0.0), absent))
        leaves = split
    return leaves


def best_scored(index: TextIndex, phrases: list[Postings], mask: int, wanted: int,
                by_rating: Callable[[int, int], list[int]], check: Callable[[], None]) -> list[tuple[float, int]]:
    """The `wanted` best rows of `mask` by (score desc, rating desc, position asc), as (-score, position), best
    first.

    Every (frequencies, length) state holds rows of one exact score. States are visited best first (per leaf, score
    falls as length grows); each state gives up to `wanted` rows in rating order. Once `wanted` rows are held and
    the next state scores strictly less, no other row can enter or tie.
    """
    if wanted <= 0 or not mask:
        return []
    leaves = _leaves(phrases, mask)
    check()
    lengths = index.by_length

    def state_score(freqs: tuple[float, ...], norm: float) -> float:
        total = 0.0
        for phrase, f in zip(phrases, freqs, strict=True):
            total += contribution(phrase.idf, f, norm)
        return total

    heap = [(-state_score(freqs, lengths[0][0]), leaf, 0) for leaf, (freqs, _) in enumerate(leaves)]
    heapq.heapify(heap)
    taken: list[tuple[float, int]] = []  # (-score, position)
    while heap:
        negative, leaf, li = heap[0]
        if len(taken) >= wanted and negative > taken[wanted - 1][0]:  # states pop in score order: taken is too
            break
        heapq.heappop(heap)
        freqs, rows = leaves[leaf]
        hits = rows & lengths[li][1]
        if hits:
            taken.extend((negative, p) for p in by_rating(hits, wanted))
        if li + 1 < len(lengths):
            heapq.heappush(heap, (-state_score(freqs, lengths[li + 1][0]), leaf, li + 1))
        check()
    return taken

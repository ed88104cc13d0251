"""The name search's normalisation: accents and case never matter, tokens are letters only."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from services.risk.domain.names import normalise, tokens
from services.risk.search.index import BlindIndex

ACCENTS = ["\u0301", "\u0300", "\u0308", "\u0303", "\u0302", "\u0327"]  # ´ ` ¨ ~ ^ ¸
LATIN = st.text(alphabet=st.characters(min_codepoint=0x41, max_codepoint=0x24F), max_size=30)
ANY = st.text(max_size=40)


def test_examples():
    assert tokens("José Pérez") == tokens("jose perez") == ["jose", "perez"]
    assert tokens("  MARÍA-José  d'Ávila 3ª ") == ["maria", "jose", "d", "avila", "a"]
    assert tokens("Peña Núñez") == ["pena", "nunez"]
    assert tokens("Ana ana ANA") == ["ana"]
    assert tokens("123 -- !!") == []


@given(ANY)
def test_tokens_are_lowercase_letters_without_marks_and_distinct(text):
    found = tokens(text)
    assert len(found) == len(set(found))
    for token in found:
        assert token and all(c.isalpha() for c in token)
        assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFKD", token))
        assert token == normalise(token)


@given(ANY)
def test_normalising_twice_changes_nothing(text):
    assert tokens(" ".join(tokens(text))) == tokens(text)
    assert normalise(normalise(text)) == normalise(text)


@given(LATIN, st.data())
def test_accents_do_not_matter(text, data):
    """Adding combining accents after any letter (then composing, as keyboards do) keeps the tokens."""
    accented = "".join(
        c + (data.draw(st.sampled_from(ACCENTS)) if c.isalpha() and data.draw(st.booleans()) else "")
        for c in text
    )
    assert tokens(unicodedata.normalize("NFC", accented)) == tokens(text)


@given(LATIN)
def test_case_does_not_matter(text):
    assert tokens(text.upper()) == tokens(text.lower()) == tokens(text)


@given(ANY, ANY)
def test_tokens_of_two_names_are_both_sets(a, b):
    assert set(tokens(a + " " + b)) == set(tokens(a)) | set(tokens(b))


@given(ANY)
def test_the_index_holds_one_keyed_hash_per_token_and_never_the_token(text):
    index = BlindIndex("k", b"\x01" * 32)
    other = BlindIndex("k", b"\x02" * 32)
    hmacs = index.token_hmacs(text)
    assert len(hmacs) == len(tokens(text))
    assert all(len(h) == 32 for h in hmacs)
    assert not any(t.encode() in h for t in tokens(text) if len(t) > 3 for h in hmacs)
    # Another key gives other hashes: without the key the index is not a dictionary of names.
    assert not set(hmacs) & set(other.token_hmacs(text)) or not hmacs


WORD = st.text(alphabet=st.characters(min_codepoint=0x61, max_codepoint=0x7A), min_size=1, max_size=10)


@given(st.lists(WORD, min_size=1, max_size=5), st.data())
def test_any_words_of_her_name_typed_any_way_are_in_her_index(words, data):
    """The search's invariant: every word of her name, typed with any capitals and accents,
    in any order, hashes to tokens her index holds; a word not in her name does not."""
    index = BlindIndex("k", b"\x03" * 32)
    name = " ".join(w.capitalize() for w in words)
    stored = set(index.token_hmacs(name))
    chosen = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=len(words)))
    typed = " ".join(
        "".join(c.upper() if data.draw(st.booleans()) else c for c in w)
        + data.draw(st.sampled_from(["", "\u0301"]))
        for w in reversed(chosen)
    )
    assert set(index.token_hmacs(unicodedata.normalize("NFC", typed))) <= stored
    other = data.draw(WORD.filter(lambda w: w not in words))
    assert not set(index.token_hmacs(other)) & stored

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.crypto import CipherError, PiiCipher, new_key_spec

OLD = new_key_spec("2025")
NEW = new_key_spec("2026")


@settings(max_examples=200)
@given(plaintext=st.binary(max_size=2048), aad=st.binary(max_size=64))
def test_round_trip(plaintext, aad):
    cipher = PiiCipher.from_spec(NEW)
    blob = cipher.encrypt(plaintext, aad=aad)
    assert plaintext not in blob or len(plaintext) < 4
    assert cipher.decrypt(blob, aad=aad) == plaintext


@settings(max_examples=200)
@given(
    plaintext=st.binary(min_size=1, max_size=512), position=st.integers(min_value=0), flip=st.integers(1, 255)
)
def test_any_tampered_byte_is_rejected(plaintext, position, flip):
    cipher = PiiCipher.from_spec(NEW)
    blob = bytearray(cipher.encrypt(plaintext, aad=b"case-1"))
    blob[position % len(blob)] ^= flip
    with pytest.raises(CipherError):
        cipher.decrypt(bytes(blob), aad=b"case-1")


def test_a_value_copied_to_another_row_does_not_decrypt():
    cipher = PiiCipher.from_spec(NEW)
    blob = cipher.encrypt(b"Marta", aad=b"case-1")
    with pytest.raises(CipherError):
        cipher.decrypt(blob, aad=b"case-2")


def test_rotation_reads_old_writes_new():
    old_cipher = PiiCipher.from_spec(OLD)
    blob = old_cipher.encrypt_obj({"name": "Marta"})
    rotated = PiiCipher.from_spec(f"{NEW},{OLD}")
    assert rotated.decrypt_obj(blob) == {"name": "Marta"}
    assert rotated.key_id_of(rotated.encrypt(b"x")) == "2026"
    with pytest.raises(CipherError, match="unknown key id"):
        PiiCipher.from_spec(NEW).decrypt(blob)

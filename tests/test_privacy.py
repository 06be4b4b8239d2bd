from bot.privacy import mask_nik, mask_text


def test_identity_numbers_are_masked_in_text():
    masked = mask_text("NIK 3201 2345 6789 0001, hp 0812-3456-7890 / +6281234567890, mail budi.s@gmail.com")
    for secret in ("3201 2345 6789 0001", "0812-3456-7890", "+6281234567890", "budi.s@"):
        assert secret not in masked
    assert "3201 ****" in masked and "gmail.com" in masked


def test_amounts_and_short_numbers_are_left_alone():
    text = "gaji 2500000 sebulan, iuran 16.800, umur 45, call centre 175"
    assert mask_text(text) == text


def test_mask_nik_keeps_only_a_hint():
    assert mask_nik("3201234567890001") == "3201********0001"


def test_log_records_and_exceptions_are_masked():
    import io
    import logging

    from bot.privacy import MaskingFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("lindungi.test.privacy")
    logger.addHandler(handler)
    try:
        logger.warning("user typed %s", "3201011708900001 and 081234567890")
        try:
            raise ValueError("bad NIK 3201011708900001")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "3201011708900001" not in output and "081234567890" not in output
    assert "3201********0001" in output and "ValueError" in output


def test_a_generated_key_file_is_private(tmp_path):
    import os
    import stat

    from bot.privacy import Vault

    vault = Vault.from_settings("", tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode)
    assert mode == 0o600
    again = Vault.from_settings("", tmp_path)               # the same key on the next start
    assert again.decrypt(vault.encrypt("3201011708900001")) == "3201011708900001"


# Issue 14, finding 3: identity numbers typed with separators, phones in every common spacing ----
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SEPARATORS = ["", " ", ".", "/", "-"]
WORDS = st.lists(st.sampled_from(["nik", "saya", "no", "hp", "ya", "kak", "tolong", "cek", ":", ",", "(", ")"]),
                 max_size=4).map(" ".join)


@st.composite
def written_niks(draw):
    """16 digits split into groups at random, each gap with one separator (or none)."""
    digits = draw(st.text("0123456789", min_size=16, max_size=16))
    cuts = sorted(draw(st.sets(st.integers(1, 15), max_size=6)))
    groups = [digits[a:b] for a, b in zip([0] + cuts, cuts + [16])]
    out = groups[0]
    for group in groups[1:]:
        out += draw(st.sampled_from(SEPARATORS)) + group
    return digits, out


@st.composite
def written_phones(draw):
    """An Indonesian mobile number (08xx + 7-9 digits) in one of the ways people write it."""
    operator = draw(st.sampled_from(["811", "812", "813", "821", "822", "852", "853", "857", "877", "878", "881",
                                     "895", "896"]))
    rest = draw(st.text("0123456789", min_size=7, max_size=9))
    sep = draw(st.sampled_from([" ", "-", ".", ""]))
    parts = [rest[:4], rest[4:]]
    body = sep.join([operator] + parts)
    prefix = draw(st.sampled_from(["0", "+62 ", "+62", "62", "62-", "+62-", "(0", "+62 (0)"]))
    text = prefix + body
    if prefix == "(0":
        text = f"(0{operator}) " + sep.join(parts)
    return operator + rest, text


@settings(max_examples=300, deadline=None)
@given(written_niks(), WORDS, WORDS)
def test_a_nik_in_any_spacing_is_masked(nik, before, after):
    digits, written = nik
    masked = mask_text(f"{before} {written} {after}")
    kept = "".join(ch for ch in masked if ch.isdigit())
    assert len(kept) <= 8 and masked.count("*") >= 8               # 4 first and 4 last digits at most
    assert written not in masked and digits not in masked.replace(" ", "")


@settings(max_examples=300, deadline=None)
@given(written_phones(), WORDS, WORDS)
def test_a_mobile_number_in_any_spacing_is_masked(phone, before, after):
    digits, written = phone
    masked = mask_text(f"{before} {written} {after}")
    kept = "".join(ch for ch in masked if ch.isdigit())
    assert len(kept) <= 7 and masked.count("*") >= 4, (written, masked)   # operator prefix + last 3
    assert written not in masked


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 99_999_999), st.integers(1, 31), st.integers(1, 12), st.integers(2000, 2030))
def test_amounts_dates_and_times_stay_readable(amount, day, month, year):
    text = (f"gaji Rp{amount:,}".replace(",", ".") + f" tgl {day:02d}/{month:02d}/{year} "
            f"jam {day % 24:02d}.{month:02d}, iuran {amount} per bulan, umur {day + 17}")
    assert mask_text(text) == text


def test_the_forms_from_the_issue_are_masked():
    for written in ("3201/0145/0890/0001", "3201 0145 0890 0001", "3201.0145.0890.0001", "3201-0145-0890-0001",
                    "+62 812 3456 7890", "62-812-3456-7890", "0812 3456 7890", "(0812) 3456-7890", "+62 (0)812-3456-7890"):
        masked = mask_text(f"tolong cek {written} ya")
        assert written not in masked and "*" in masked, written


def test_training_examples_are_masked_again_and_carry_no_rasa_markup():
    from bot.review import training_text, training_yaml

    assert training_text("nik saya 3201/0145/0890/0001 kak") == "nik saya 3201/****/****/0001 kak"
    assert training_text("[jht](intent) saya {\"x\": 1}") == "[jht] (intent) saya {\"x\": 1}"
    text = training_yaml({"claim_jht": ["cair [jht]{\"entity\": \"program\"} hp +62 812 3456 7890"]})
    assert "3456" not in text and "]{" not in text

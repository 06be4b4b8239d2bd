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

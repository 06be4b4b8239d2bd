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

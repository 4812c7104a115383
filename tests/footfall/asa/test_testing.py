"""``footfall asa test`` compares rows the way Azure's own test outputs need."""

from __future__ import annotations

from footfall.asa.testing import compare_rows


def test_expected_outputs_in_azures_datetime_form_match_whatever_the_digits():
    actual = [{"id": "S1|2026-11-23T08:15:00.0000000Z", "window_end": "2026-11-23T08:15:00.0000000Z", "n": 3}]
    for written in ("2026-11-23T08:15:00.0000000Z", "2026-11-23T08:15:00.000Z", "2026-11-23T08:15:00Z"):
        expected = [{"id": f"S1|{written}", "window_end": written, "n": 3}]
        assert compare_rows(expected, actual) == [], written


def test_a_different_instant_or_value_still_differs():
    actual = [{"window_end": "2026-11-23T08:15:00.0000000Z", "n": 3}]
    assert compare_rows([{"window_end": "2026-11-23T08:15:00.0000001Z", "n": 3}], actual)
    assert compare_rows([{"window_end": "2026-11-23T08:15:00.000Z", "n": 4}], actual)

"""The report's pages name fields of the model, and field references are found wherever they are."""

from __future__ import annotations

from footfall.powerbi.report import PAGES, Field, Visual, fields, visual_json


def test_fields_are_found_in_projections_and_in_filters_through_their_alias() -> None:
    visual = Visual("v", "clusteredBarChart", "t", (0, 0, 10, 10),
                    {"Category": (Field("Demographic values", "label"),),
                     "Y": (Field("Store windows", "Share of faces", "measure"),)},
                    filters=((Field("Demographic values", "category"), ("gender",)),))
    found = fields(visual_json(visual, 0))
    assert found.count(("column", "Demographic values", "category")) == 2  # the filter's field and its condition
    assert ("column", "Demographic values", "label") in found
    assert ("measure", "Store windows", "Share of faces") in found


def test_visual_names_are_unique_and_follow_the_pbir_naming_rule() -> None:
    names = [v.name for p in PAGES for v in p.visuals]
    assert len(names) == len(set(names))
    assert all(len(n) <= 50 and n.replace("-", "").replace("_", "").isalnum() for n in names + [p.name for p in PAGES])


def test_visuals_stay_on_their_page() -> None:
    for page in PAGES:
        for v in page.visuals:
            x, y, w, h = v.position
            assert 0 <= x and 0 <= y and x + w <= 1280 and y + h <= 720, v.name

"""The results page's SVG charts: labelled for screen readers, values with sign and unit, bars on the right side."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from plugin.web.results.charts import contribution_chart, probability_chart, share_chart, signed

SVG = "{http://www.w3.org/2000/svg}"


def output(**changes):
    data = {
        "unit": "logit", "base_value": -1.0, "value": 0.7, "published": 0.62, "published_label": "P(grade IV)",
        "bars": [
            {"label": "left brow lift during brow raise 3.2 mm (healthy side 11.5 mm)",
             "sentence": "Left brow lift during brow raise 3.2 mm (healthy side 11.5 mm) pushed the grade towards IV "
                         "(+1.50 logit).", "contribution": 1.5},
            {"label": "age 45 years <b>", "sentence": "Age 45 years pushed the grade away from IV (-0.40 logit).",
             "contribution": -0.4},
        ],
        "rest": {"count": 46, "contribution": 0.6},
    }
    data.update(changes)
    return data


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_contribution_chart_is_an_accessible_image_with_title_and_description():
    svg = parse(contribution_chart(output(), chart_id="shap-hb_grade-IV", title="House-Brackmann grade IV"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "shap-hb_grade-IV-title shap-hb_grade-IV-desc"
    assert svg.find(f"{SVG}title").text == "House-Brackmann grade IV: what moved the output"
    desc = svg.find(f"{SVG}desc").text
    assert "Base value -1.000 logit plus the contributions gives 0.700 logit (P(grade IV) = 0.62)" in desc
    assert "age 45 years <b>: -0.40 logit" in desc and "46 other features together: +0.60 logit" in desc


def test_each_bar_carries_its_signed_value_its_words_and_lies_on_its_side_of_the_axis():
    svg = parse(contribution_chart(output(), chart_id="c", title="t"))
    bars = svg.findall(f"{SVG}g")
    assert [b.get("class") for b in bars] == ["bar pos", "bar neg", "bar pos rest"]
    values = [b.find(f"{SVG}text[@class='value']").text for b in bars]
    assert values == ["+1.50 logit", "-0.40 logit", "+0.60 logit"]
    assert bars[0].find(f"{SVG}title").text.startswith("Left brow lift during brow raise")
    assert bars[2].find(f"{SVG}text[@class='label']").text == "46 other features together"
    axis = float(bars[0].find(f"{SVG}line").get("x1"))
    pos, neg = bars[0].find(f"{SVG}rect"), bars[1].find(f"{SVG}rect")
    assert float(pos.get("x")) == axis and float(neg.get("x")) + float(neg.get("width")) == axis
    assert abs(float(pos.get("width")) / float(neg.get("width")) - 1.5 / 0.4) < 0.01  # one scale for all bars


def test_text_is_escaped_and_long_labels_are_clipped_with_the_full_sentence_kept():
    long = "x" * 300
    markup = str(contribution_chart(output(bars=[{"label": long, "sentence": long + ".", "contribution": 0.3}],
                                           rest={"count": 0, "contribution": 0.0}), chart_id="c", title="t"))
    assert "&lt;b&gt;" not in markup and "<b>" not in markup
    svg = parse(markup)
    label = svg.find(f"{SVG}g/{SVG}text[@class='label']").text
    assert len(label) == 110 and label.endswith("…")
    assert svg.find(f"{SVG}g/{SVG}title").text == long + "."
    assert len(svg.findall(f"{SVG}g")) == 1, "no rest bar when every feature is shown"
    escaped = str(contribution_chart(output(), chart_id="c", title="t"))
    assert "age 45 years &lt;b&gt;" in escaped


def test_signed_keeps_tiny_values_visible():
    assert signed(0.004, "logit") == "+4.0e-03 logit"
    assert signed(-2.0, "points") == "-2.00 points"
    assert signed(0.0, "log-odds") == "+0.00 log-odds"


def test_share_chart_lists_groups_with_share_and_net_effect_and_skips_empty_groups():
    shares = [{"title": "sEMG", "share": 0.62, "total": 1.2, "n_features": 20},
              {"title": "facial motion", "share": 0.38, "total": -0.3, "n_features": 26},
              {"title": "clinical facts", "share": 0.0, "total": 0.0, "n_features": 0}]
    svg = parse(share_chart(shares, chart_id="m", title="By modality", unit="logit"))
    assert [t.text for t in svg.findall(f"{SVG}g/{SVG}text[@class='value']")] == ["62%, net +1.20 logit",
                                                                                  "38%, net -0.30 logit"]
    assert "sEMG: 62% of the contribution, net +1.20 logit (20 features)" in svg.find(f"{SVG}desc").text


def test_probability_chart_highlights_the_most_probable_grade():
    markup = str(probability_chart({"I": 0.05, "II": 0.1, "III": 0.85}, chart_id="g", title="Grades",
                                   highlight="III", prefix="Grade "))
    svg = parse(markup)
    rows = svg.findall(f"{SVG}g")
    assert [r.get("class") for r in rows] == ["share", "share", "share top"]
    assert [r.find(f"{SVG}text[@class='value']").text for r in rows] == ["0.05", "0.10", "0.85"]
    assert re.search(r'viewBox="0 0 \d+ \d+"', markup)
    assert svg.find(f"{SVG}desc").text == "Grade I: 0.05; Grade II: 0.10; Grade III: 0.85."

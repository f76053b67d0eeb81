#!/usr/bin/env python3
"""Writes the XLSForm fixtures of core/tests/fixtures/forms/ (committed; re-run after edits).

    pip install openpyxl==3.1.5
    python3 scripts/make_form_fixtures.py

Fixtures: a "deep listening" household survey (English + Hindi, household-member repeat, skip
logic, constraints with messages, select_multiple with choice_filter, geopoint, calculate), two
versions of an entrepreneur follow-up survey (for moving drafts between versions), the
300-question form and the 500-question form with nested repeats the benchmark uses, and forms with deliberate problems.
"""

import os
import sys

import datetime

from openpyxl import Workbook

FIXED_TIME = datetime.datetime(2024, 6, 10, 9, 0, 0)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "core", "tests", "fixtures", "forms")

EN, HI = "English (en)", "Hindi (hi)"
SURVEY_COLS = [
    "type", "name", f"label::{EN}", f"label::{HI}", f"hint::{EN}", f"hint::{HI}", "required",
    f"required_message::{EN}", f"required_message::{HI}", "relevant", "constraint",
    f"constraint_message::{EN}", f"constraint_message::{HI}", "calculation", "default",
    "choice_filter", "appearance", "read_only", "repeat_count",
]


def write(name, survey_cols, survey_rows, choice_cols=None, choice_rows=None, settings=None):
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(survey_cols)
    for r in survey_rows:
        ws.append([r.get(c, None) for c in survey_cols])
    if choice_cols:
        cs = wb.create_sheet("choices")
        cs.append(choice_cols)
        for r in choice_rows:
            cs.append([r.get(c, None) for c in choice_cols])
    if settings:
        st = wb.create_sheet("settings")
        st.append(list(settings.keys()))
        st.append(list(settings.values()))
    # Fixed document properties: the fixtures do not carry the time they were made.
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    path = os.path.join(OUT, name)
    wb.save(path)
    return path


def q(type_, name, en=None, hi=None, **kw):
    row = {"type": type_, "name": name}
    if en is not None:
        row[f"label::{EN}"] = en
    if hi is not None:
        row[f"label::{HI}"] = hi
    for k, v in kw.items():
        key = {
            "hint_en": f"hint::{EN}", "hint_hi": f"hint::{HI}",
            "req_en": f"required_message::{EN}", "req_hi": f"required_message::{HI}",
            "cmsg_en": f"constraint_message::{EN}", "cmsg_hi": f"constraint_message::{HI}",
        }.get(k, k)
        row[key] = v
    return row


def deep_listening():
    rows = [
        q("date", "interview_date", "Date of interview", "साक्षात्कार की तारीख", required="yes",
          constraint=". <= today()", cmsg_en="The date cannot be in the future.",
          cmsg_hi="तारीख भविष्य की नहीं हो सकती।"),
        q("note", "intro", "We are listening to your household's story. Your answers stay private.",
          "हम आपके परिवार की कहानी सुन रहे हैं। आपके उत्तर गोपनीय रहेंगे।"),
        q("select_one yes_no", "consent", "Do you agree to take part?", "क्या आप भाग लेने के लिए सहमत हैं?",
          required="yes", req_en="Please record consent.", req_hi="कृपया सहमति दर्ज करें।"),
        q("begin group", "household", "Household", "परिवार", relevant="${consent} = 'yes'",
          appearance="field-list"),
        q("select_one district", "district", "District", "ज़िला", required="yes"),
        q("select_one block", "block", "Block", "ब्लॉक", required="yes", choice_filter="district=${district}"),
        q("text", "village", "Village", "गाँव", required="yes"),
        q("geopoint", "location", "Location of the house", "घर का स्थान",
          hint_en="Stand at the door and wait for accuracy below 10 m.",
          hint_hi="दरवाज़े पर खड़े होकर 10 मीटर से कम सटीकता की प्रतीक्षा करें।"),
        q("text", "respondent_name", "Name of the respondent", "उत्तरदाता का नाम", required="yes"),
        q("text", "phone", "Mobile number", "मोबाइल नंबर",
          constraint="regex(., '^[6-9][0-9]{9}$')",
          cmsg_en="Enter a 10-digit mobile number.", cmsg_hi="10 अंकों का मोबाइल नंबर दर्ज करें।"),
        q("integer", "hh_size", "How many people live in this household?", "इस परिवार में कितने लोग रहते हैं?",
          required="yes", constraint=". >= 1 and . <= 30",
          cmsg_en="A household has 1 to 30 members.", cmsg_hi="एक परिवार में 1 से 30 सदस्य होते हैं।"),
        q("begin repeat", "members", "Household member", "परिवार का सदस्य", repeat_count="${hh_size}"),
        q("text", "member_name", "Member's name", "सदस्य का नाम", required="yes"),
        q("integer", "member_age", "Age in years", "उम्र (वर्षों में)", required="yes",
          constraint=". >= 0 and . <= 120", cmsg_en="Age must be between 0 and 120.",
          cmsg_hi="उम्र 0 से 120 के बीच होनी चाहिए।"),
        q("select_one gender", "member_gender", "Gender", "लिंग"),
        q("select_one yes_no", "member_school", "Does this child go to school?", "क्या यह बच्चा स्कूल जाता है?",
          relevant="${member_age} >= 5 and ${member_age} <= 18"),
        q("calculate", "member_is_adult", calculation="if(${member_age} >= 18, 1, 0)"),
        q("end repeat", ""),
        q("calculate", "adults", calculation="sum(${member_is_adult})"),
        q("calculate", "children", calculation="count(${members}) - ${adults}"),
        q("select_one sector", "main_sector", "Which area matters most to you?", "आपके लिए सबसे ज़रूरी क्षेत्र कौन सा है?",
          required="yes"),
        q("select_multiple service", "services_used", "Which services have you used this year?",
          "इस साल आपने कौन सी सेवाएँ लीं?", choice_filter="sector=${main_sector} or sector='all'"),
        q("select_multiple concern", "concerns", "What worries your household?", "आपके परिवार को क्या चिंता है?",
          required="yes", constraint="not(selected(., 'none') and count-selected(.) > 1)",
          cmsg_en="'None' cannot be combined with other answers.",
          cmsg_hi="'कोई नहीं' को अन्य उत्तरों के साथ नहीं चुन सकते।"),
        q("text", "concerns_other", "Describe the other concern", "अन्य चिंता बताइए",
          relevant="selected(${concerns}, 'other')", required="yes"),
        q("integer", "monthly_income", "Monthly household income (₹)", "मासिक पारिवारिक आय (₹)",
          constraint=". >= 0 and . <= 1000000", cmsg_en="Income must be between 0 and 10 lakh.",
          cmsg_hi="आय 0 से 10 लाख के बीच होनी चाहिए।"),
        q("decimal", "land_acres", "Land owned (acres)", "स्वामित्व वाली ज़मीन (एकड़)", default="0",
          constraint=". >= 0 and . < 1000"),
        q("calculate", "income_per_person",
          calculation="if(${hh_size} > 0, round(${monthly_income} div ${hh_size}, 2), 0)"),
        q("note", "summary", "Adults: ${adults}. Income per person: ${income_per_person}.",
          "वयस्क: ${adults}। प्रति व्यक्ति आय: ${income_per_person}।"),
        q("text", "story", "In their own words: what would change life here?",
          "उनके अपने शब्दों में: यहाँ जीवन में क्या बदलाव आएगा?", appearance="multiline"),
        q("acknowledge", "confirm", "I read the answers back to the respondent.",
          "मैंने उत्तर उत्तरदाता को पढ़कर सुनाए।", required="yes"),
        q("end group", ""),
        q("image", "house_photo", "Photo of the house (optional)", "घर की फ़ोटो (वैकल्पिक)",
          relevant="${consent} = 'yes'"),
    ]
    cc = ["list_name", "name", f"label::{EN}", f"label::{HI}", "district", "sector"]
    ch = []

    def c(lst, name, en, hi, **kw):
        ch.append({"list_name": lst, "name": name, f"label::{EN}": en, f"label::{HI}": hi, **kw})

    c("yes_no", "yes", "Yes", "हाँ")
    c("yes_no", "no", "No", "नहीं")
    c("district", "sitapur", "Sitapur", "सीतापुर")
    c("district", "lakhimpur", "Lakhimpur Kheri", "लखीमपुर खीरी")
    c("block", "machhrehta", "Machhrehta", "मछरेहटा", district="sitapur")
    c("block", "pisawan", "Pisawan", "पिसावां", district="sitapur")
    c("block", "gola", "Gola", "गोला", district="lakhimpur")
    c("block", "mitauli", "Mitauli", "मितौली", district="lakhimpur")
    c("gender", "female", "Female", "महिला")
    c("gender", "male", "Male", "पुरुष")
    c("gender", "other", "Other", "अन्य")
    c("sector", "agriculture", "Agriculture", "कृषि")
    c("sector", "health", "Health", "स्वास्थ्य")
    c("sector", "education", "Education", "शिक्षा")
    c("service", "kcc", "Kisan credit card", "किसान क्रेडिट कार्ड", sector="agriculture")
    c("service", "seed", "Seed distribution", "बीज वितरण", sector="agriculture")
    c("service", "asha", "ASHA visit", "आशा दीदी का दौरा", sector="health")
    c("service", "phc", "Primary health centre", "प्राथमिक स्वास्थ्य केंद्र", sector="health")
    c("service", "scholarship", "Scholarship", "छात्रवृत्ति", sector="education")
    c("service", "mgnrega", "MGNREGA work", "मनरेगा काम", sector="all")
    c("concern", "water", "Drinking water", "पीने का पानी")
    c("concern", "health", "Health", "स्वास्थ्य")
    c("concern", "work", "Work and wages", "काम और मज़दूरी")
    c("concern", "education", "Children's education", "बच्चों की पढ़ाई")
    c("concern", "none", "None", "कोई नहीं")
    c("concern", "other", "Other", "अन्य")
    write("deep_listening.xlsx", SURVEY_COLS, rows, cc, ch, {
        "form_title": "Deep listening household survey", "form_id": "deep_listening",
        "version": "2024061001", "default_language": EN,
    })


def entrepreneur(version):
    cols = ["type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message", "calculation"]
    rows = [
        {"type": "text", "name": "enterprise_name", "label": "Name of the enterprise", "required": "yes"},
        {"type": "select_one business", "name": "business_type", "label": "Type of business", "required": "yes"},
        {"type": "integer" if version == 1 else "decimal", "name": "employees", "label": "People employed (besides you)",
         "constraint": ". >= 0", "constraint_message": "Cannot be negative."},
        {"type": "decimal" if version == 1 else "integer", "name": "monthly_revenue",
         "label": "Revenue last month (₹)", "constraint": ". >= 0"},
        {"type": "select_one yes_no", "name": "has_loan", "label": "Do you have a loan for the business?"},
    ]
    if version == 1:
        rows.append({"type": "integer", "name": "loan_amount", "label": "Loan amount (₹)",
                     "relevant": "${has_loan} = 'yes'", "constraint": ". > 0"})
    rows += [
        {"type": "date", "name": "followup_date", "label": "Date of this follow-up", "required": "yes"},
        {"type": "select_multiple challenge", "name": "challenges", "label": "Main challenges this quarter"},
        {"type": "begin group", "name": "reflection", "label": "Reflection"},
        {"type": "text", "name": "notes", "label": "What went well, what did not?"},
    ]
    if version == 2:
        rows.append({"type": "decimal", "name": "profit", "label": "Profit last month (₹)"})
        rows.append({"type": "calculate", "name": "margin",
                     "calculation": "if(${monthly_revenue} > 0, round(${profit} div ${monthly_revenue} * 100, 1), '')"})
    rows.append({"type": "end group", "name": ""})
    ch = [
        {"list_name": "yes_no", "name": "yes", "label": "Yes"},
        {"list_name": "yes_no", "name": "no", "label": "No"},
        {"list_name": "business", "name": "tailoring", "label": "Tailoring"},
        {"list_name": "business", "name": "dairy", "label": "Dairy"},
        {"list_name": "business", "name": "kirana", "label": "Kirana shop"},
    ]
    if version == 1:
        ch.append({"list_name": "business", "name": "poultry", "label": "Poultry"})
    ch += [
        {"list_name": "challenge", "name": "credit", "label": "Credit"},
        {"list_name": "challenge", "name": "markets", "label": "Reaching markets"},
        {"list_name": "challenge", "name": "skills", "label": "Skills"},
    ]
    if version == 1:
        ch.append({"list_name": "challenge", "name": "weather", "label": "Weather"})
    write(f"entrepreneur_followup_v{version}.xlsx", cols, rows, ["list_name", "name", "label"], ch, {
        "form_title": "Entrepreneur follow-up", "form_id": "entrepreneur_followup", "version": str(version),
    })


def bench():
    """300 questions: 60 with relevance, 60 with constraints, 20 calculations."""
    cols = ["type", "name", "label", "required", "relevant", "constraint", "constraint_message", "calculation"]
    rows = []
    for i in range(1, 301):
        row = {"name": f"q{i}", "label": f"Question {i}"}
        if i % 15 == 0:
            row["type"] = "calculate"
            row["calculation"] = f"${{q{i - 1}}} + ${{q{i - 2}}}"
            del row["label"]
        elif i % 3 == 0:
            row["type"] = "select_one yes_no"
        elif i % 7 == 0:
            row["type"] = "text"
        else:
            row["type"] = "integer"
        if i % 5 == 0 and i > 5:
            row["relevant"] = f"${{q{(i * 7) % (i - 1) + 1}}} != 'no' and ${{q1}} < 100"
        if i % 5 == 1 and row["type"] == "integer":
            row["constraint"] = ". >= 0 and . <= 1000"
            row["constraint_message"] = "Between 0 and 1000."
        if i % 4 == 0 and row["type"] != "calculate":
            row["required"] = "yes"
        rows.append(row)
    rel = sum(1 for r in rows if "relevant" in r)
    con = sum(1 for r in rows if "constraint" in r)
    # Top up to exactly 60 constraints with integer questions that have none.
    for r in rows:
        if con >= 60:
            break
        if r["type"] == "integer" and "constraint" not in r:
            r["constraint"] = ". >= 0"
            con += 1
    for r in rows:
        if rel >= 60:
            break
        if "relevant" not in r and r["name"] not in ("q1", "q2", "q3"):
            r["relevant"] = "${q2} > 3"
            rel += 1
    assert rel == 60 and con == 60, (rel, con)
    write("bench_300.xlsx", cols, rows, ["list_name", "name", "label"],
          [{"list_name": "yes_no", "name": "yes", "label": "Yes"}, {"list_name": "yes_no", "name": "no", "label": "No"}],
          {"form_id": "bench_300", "version": "1"})


def bench_nested():
    """500 questions with nested repeats: 120 in the household, 248 in each member's row, 132
    in each child's row (a repeat inside the members repeat). Relevance and constraints read
    the enclosing row and the household; calculations count and sum across rows."""
    cols = ["type", "name", "label", "required", "relevant", "constraint", "constraint_message", "calculation"]
    rows = []

    def block(prefix, n, first_ref, outer_ref=None):
        out = []
        for i in range(1, n + 1):
            name = f"{prefix}{i}"
            row = {"name": name, "label": f"{prefix} question {i}"}
            if i % 10 == 0:
                row["type"] = "calculate"
                row["calculation"] = f"${{{prefix}{i - 1}}} + ${{{prefix}{i - 2}}}"
                del row["label"]
            elif i % 3 == 0:
                row["type"] = "select_one yes_no"
            elif i % 7 == 0:
                row["type"] = "text"
            else:
                row["type"] = "integer"
            if i % 5 == 1 and i > 1:
                row["relevant"] = f"${{{first_ref}}} >= 18" if outer_ref is None or i % 2 else f"${{{outer_ref}}} > 0"
            if i % 5 == 2 and row["type"] == "integer":
                row["constraint"] = ". >= 0 and . <= 1000"
                row["constraint_message"] = "Between 0 and 1000."
            out.append(row)
        return out

    rows += block("h", 117, "h1")
    rows.append({"type": "begin repeat", "name": "members", "label": "Member"})
    rows += block("m", 245, "m1", "h1")
    rows.append({"type": "begin repeat", "name": "children", "label": "Child", "relevant": "${m1} >= 18"})
    rows += block("c", 129, "c1", "m1")
    rows.append({"type": "calculate", "name": "c_parent_age", "calculation": "${m1}"})
    rows.append({"type": "calculate", "name": "c_no", "calculation": "position(..)"})
    rows.append({"type": "calculate", "name": "c_household", "calculation": "${h1}"})
    rows.append({"type": "end repeat"})
    rows.append({"type": "calculate", "name": "m_children", "calculation": "count(${children})"})
    rows.append({"type": "calculate", "name": "m_child_sum", "calculation": "sum(${c1})"})
    rows.append({"type": "calculate", "name": "m_household", "calculation": "${h2}"})
    rows.append({"type": "end repeat"})
    rows.append({"type": "calculate", "name": "members_n", "calculation": "count(${members})"})
    rows.append({"type": "calculate", "name": "children_n", "calculation": "count(${children})"})
    rows.append({"type": "calculate", "name": "ages", "calculation": "sum(${m1})"})
    questions = sum(1 for r in rows if r["type"] not in ("begin repeat", "end repeat"))
    assert questions == 500, questions
    write("bench_500_nested.xlsx", cols, rows, ["list_name", "name", "label"],
          [{"list_name": "yes_no", "name": "yes", "label": "Yes"}, {"list_name": "yes_no", "name": "no", "label": "No"}],
          {"form_id": "bench_500_nested", "version": "1"})


def broken():
    cols = ["type", "name", "label", "relevant", "constraint", "calculation"]
    rows = [
        {"type": "text", "name": "a", "label": "A"},
        {"type": "txet", "name": "b", "label": "B"},  # row 3: unknown type
        {"type": "select_one nolist", "name": "c", "label": "C"},  # row 4: missing choice list
        {"type": "integer", "name": "d", "label": "D", "relevant": "${nothere} > 1"},  # row 5: unknown reference
        {"type": "integer", "name": "e", "label": "E", "constraint": ". > (1"},  # row 6: syntax error
        {"type": "text", "name": "a", "label": "A again"},  # row 7: duplicate name
        {"type": "begin group", "name": "g", "label": "G"},  # row 8: never closed
        {"type": "text", "name": "f", "label": "F"},
    ]
    write("broken.xlsx", cols, rows, ["list_name", "name", "label"], [{"list_name": "yes_no", "name": "yes", "label": "Yes"}])
    cols = ["type", "name", "label", "media::image", "constraint"]
    rows = [
        {"type": "geotrace", "name": "route", "label": "Route"},  # row 2
        {"type": "text", "name": "t", "label": "T", "media::image": "t.png"},  # row 3
        {"type": "text", "name": "u", "label": "U", "constraint": "pulldata('x', 'y', 'z', .) = 1"},  # row 4
        {"type": "start", "name": "started"},  # row 5
    ]
    write("unsupported.xlsx", cols, rows, None, None, {"form_id": "unsup", "version": "1", "instance_name": "x"})


def main():
    os.makedirs(OUT, exist_ok=True)
    deep_listening()
    entrepreneur(1)
    entrepreneur(2)
    bench()
    bench_nested()
    broken()
    print("wrote fixtures to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()

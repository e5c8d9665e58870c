"""Bad scenario files are refused with exit code 2 and a `FILE:LINE: key.path: message` line.

Each case is the baseline with one small edit (or a tiny file). The test checks the exit code,
that there is no traceback, how many problems were reported, and the problem's file, line, key
path and the words saying what was found and what is allowed.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import Problem, ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]

Edit = tuple[str, str]


@dataclass(frozen=True)
class Bad:
    """A bad input and the one problem it must produce (among `count`)."""

    edits: tuple[Edit, ...] = ()
    text: str | None = None
    """A whole file instead of edits to the baseline."""
    at: str | int = 1
    """Text on the line the problem names (unique in the written file), or the line number."""
    path: str = "(document)"
    words: tuple[str, ...] = ()
    """Must all appear in the message: what was found, what is allowed."""
    count: int = 1
    """Problems reported in all (a renamed key is also a missing key)."""


def bad(case_id: str, *edits: Edit, **expected):
    """A case editing the baseline; the problem is on the line of the first new text."""
    at = expected.pop("at", edits[0][1])
    return pytest.param(Bad(edits=edits, at=at, **expected), id=case_id)


def tiny(case_id: str, text: str, **expected):
    """A case that is a whole (small) file."""
    return pytest.param(Bad(text=text, **expected), id=case_id)


HORIZON = "  horizon_days: 1095"
SEED = "  seed: 20210201 "
NAME = "name: Baseline hub, 2021-2024"
SCREENING_SERVICE = "service: {kind: exponential, mean_days: 0.25}"
ASSESSMENT_SERVICE = "{kind: gamma, shape: 2, mean_days: 0.5}"
EXTENSION_DATE = "    date: 2021-06-01"
SCREENING_ROUTES = "all: {assessment: 0.85, exit: 0.15}"

YAML_LEVEL = [
    bad(
        "syntax-unclosed-bracket",
        (HORIZON, "  horizon_days: [1095"),
        at="  warmup_days: 0",  # where the parser gives up; the message names where it began
        words=("YAML syntax error", "expected ',' or ']'", "while parsing a flow sequence on"),
    ),
    bad(
        "syntax-bad-indent",
        (HORIZON, "    horizon_days: 1095"),
        words=("YAML syntax error", "expected <block end>"),
    ),
    bad(
        "tab-indent",
        (SEED, "\tseed: 20210201 "),
        words=("found a tab character", "indent YAML with spaces"),
    ),
    bad(
        "control-character",
        (SEED, "  seed: 2021\x070201 "),
        words=("found control character U+0007 at column 13", "allowed: printable characters"),
    ),
    bad(
        "second-document",
        ("outputs:\n", "---\noutputs:\n"),
        words=("YAML syntax error", "found another document"),
    ),
    bad(
        "undefined-alias",
        (SEED, "  seed: *root_seed "),
        words=("YAML syntax error", "undefined alias 'root_seed'"),
    ),
    bad(
        "escape-beyond-unicode",
        (NAME, 'name: "Baseline \\U00110000"'),
        words=("YAML syntax error", "escape beyond U+10FFFF"),
    ),
    tiny("empty-file", "", words=("the file is empty", "expected a mapping of scenario sections")),
    tiny(
        "comment-only-file",
        "# a scenario\n# to be written\n",
        words=("the file is empty", "expected a mapping of scenario sections"),
    ),
    tiny(
        "empty-document-marker",
        "---\n",
        words=("found an empty document", "expected a mapping of scenario sections"),
    ),
    tiny(
        "document-is-a-list",
        "- simulation\n- hub\n",
        words=("found a list", "expected a mapping of scenario sections"),
    ),
    tiny(
        "document-is-a-scalar",
        "just some text\n",
        words=("found 'just some text'", "expected a mapping of scenario sections"),
    ),
    tiny(
        "nested-too-deeply",
        "name: " + "[" * 600 + "]" * 600 + "\n",
        words=("nested too deeply",),
    ),
    bad(
        "python-object-tag",
        (NAME, "name: !!python/object/apply:os.system ['echo hubsim-pwned']"),
        path="name",
        words=("tag !!python/object/apply:os.system is not allowed", "only plain YAML values"),
    ),
    bad(
        "python-name-tag",
        (NAME, "name: Baseline\nhelper: !!python/name:os.system"),
        at="helper:",
        path="helper",
        words=("tag !!python/name:os.system is not allowed",),
    ),
    bad(
        "custom-tag",
        (HORIZON, "  horizon_days: !days 1095"),
        path="simulation.horizon_days",
        words=("tag !days is not allowed", "(mappings, lists, text, numbers, true/false"),
    ),
    bad(
        "merge-key",
        ("simulation:\n", "simulation:\n  <<: {seed: 1}\n"),
        at="  <<: {seed: 1}",
        path="simulation",
        words=("merge keys (<<) are not supported", "use `extends`"),
    ),
    bad(
        "self-referring-alias",
        ("    sectors: [other_keyworker]", "    sectors: &loop [other_keyworker, *loop]"),
        words=("an alias refers to a node that contains it",),
    ),
    bad(
        "number-as-key",
        ("    urgent: 0.30", "    1: 0.30"),
        path="hub.priority_classes",
        words=("keys must be plain text", "found !!int"),
    ),
    bad(
        "line-break-in-a-key",
        ("outputs:\n", 'outputs:\n  "colour\\nscheme": blue\n'),
        at='  "colour',
        path="outputs.colour\\nscheme",  # escaped: one problem, one line
        words=("unknown key 'colour\\nscheme'.", "Allowed keys: directory"),
    ),
    bad(
        "date-with-time-of-day",
        (EXTENSION_DATE, "    date: 2021-06-01 12:30:00"),
        path="interventions[3].date",
        words=("expected a date without a time of day", "found 2021-06-01T12:30:00"),
    ),
    bad(
        "impossible-date",
        (EXTENSION_DATE, "    date: 2021-02-30"),
        path="interventions[3].date",
        words=("found '2021-02-30'", "day is out of range", "allowed: a real calendar date"),
    ),
    bad(
        "integer-of-5000-digits",
        (SEED, "  seed: " + "9" * 5000 + " "),
        at="  seed: 999",
        path="simulation.seed",
        words=("found '999", "limit (4300 digits)", "allowed: a whole number"),
    ),
    bad(
        "core-tag-on-a-bad-value",
        (HORIZON, "  horizon_days: !!int a thousand"),
        path="simulation.horizon_days",
        words=("found 'a thousand'", "allowed: a whole number"),
    ),
]

SCHEMA_LEVEL = [
    bad(
        "unknown-top-level-key",
        ("outputs:\n", "outputz:\n"),
        path="outputz",
        words=("unknown key 'outputz'", "did you mean 'outputs'?", "Allowed keys: name,"),
    ),
    bad(
        "unknown-key-in-nested-section",
        ("      male_share: 0.18", "      male_shares: 0.18"),
        path="workforce.sectors.social_care.male_shares",
        words=("unknown key 'male_shares'", "did you mean 'male_share'?", "organisations"),
        count=2,  # and male_share is missing
    ),
    bad(
        "unknown-key-in-distribution",
        (ASSESSMENT_SERVICE, "{kind: gamma, shape: 2, mean_day: 0.5}"),
        path="hub.stages.assessment.service.mean_day",
        words=("unknown key 'mean_day'", "did you mean 'mean_days'?", "kind, shape, mean_days"),
        count=2,
    ),
    bad(
        "unknown-key-without-a-close-match",
        ("outputs:\n", "outputs:\n  colour: blue\n"),
        at="  colour: blue",
        path="outputs.colour",
        words=("unknown key 'colour'.", "Allowed keys: directory, client_records"),
    ),
    bad(
        "text-for-a-number",
        (HORIZON, "  horizon_days: three years"),
        path="simulation.horizon_days",
        words=("expected a whole number", "found 'three years'"),
    ),
    bad(
        "quoted-number",
        (HORIZON, "  horizon_days: '1095'"),
        path="simulation.horizon_days",
        words=("expected a whole number", "found '1095'"),
    ),
    bad(
        "number-for-text",
        (NAME, "name: 2024"),
        path="name",
        words=("expected text", "found 2024"),
    ),
    bad(
        "list-for-a-mapping",
        (SCREENING_SERVICE, "service: [exponential, 0.25]"),
        path="hub.stages.screening.service",
        words=("expected a mapping (key: value lines)", "found a list"),
    ),
    bad(
        "text-for-a-mapping",
        (SCREENING_SERVICE, "service: exponential"),
        path="hub.stages.screening.service",
        words=("expected a mapping", "found 'exponential'"),
    ),
    bad(
        "mapping-for-a-list",
        ("interventions:\n", "interventions: {}\nold_interventions:\n"),
        path="interventions",
        words=("expected a list", "found a mapping"),
        count=2,
    ),
    bad(
        "bool-for-a-number",
        (HORIZON, "  horizon_days: true"),
        path="simulation.horizon_days",
        words=("expected a whole number", "found true"),
    ),
    bad(
        "empty-value-for-a-number",
        (SEED, "  seed: "),
        path="simulation.seed",
        words=("expected a whole number", "found null"),
    ),
    bad(
        "fraction-for-a-whole-number",
        (SEED, "  seed: 1.5 "),
        path="simulation.seed",
        words=("expected a whole number", "found 1.5"),
    ),
    bad(
        "negative-wte",
        ("{from_date: 2021-02-01, wte: 5.5}", "{from_date: 2021-02-01, wte: -5.5}"),
        path="hub.stages.therapy.capacity[0].wte",
        words=("found -5.5", "allowed: greater than or equal to 0"),
    ),
    bad(
        "share-above-one",
        ("supportive_manager_share: 0.68", "supportive_manager_share: 1.68"),
        path="workforce.supportive_manager_share",
        words=("found 1.68", "allowed: less than or equal to 1"),
    ),
    bad(
        "nan",
        ("supportive_manager_share: 0.68", "supportive_manager_share: .nan"),
        path="workforce.supportive_manager_share",
        words=("expected a finite number (not .nan or .inf)", "found nan"),
    ),
    bad(
        "infinity",
        ("  high_baseline_mean: 1.0", "  high_baseline_mean: .inf"),
        path="distress.high_baseline_mean",
        words=("expected a finite number", "found inf"),
    ),
    bad(
        "minus-infinity",
        ("  high_baseline_mean: 1.0", "  high_baseline_mean: -.Inf"),
        path="distress.high_baseline_mean",
        words=("expected a finite number", "found -inf"),
    ),
    bad(
        "sector-shares-sum",
        ("share: 0.55 ", "share: 0.65 "),
        at="  sectors:\n    nhs:",
        path="workforce.sectors",
        words=("shares must sum to 1", "nhs 0.65 + social_care 0.35 + other_keyworker 0.1 = 1.1"),
    ),
    bad(
        "staff-group-shares-sum",
        ("medical: 0.10", "medical: 0.20"),
        at="staff_group_shares:      # assumption (nurse",
        path="workforce.sectors.nhs.staff_group_shares",
        words=("shares must sum to 1", "medical 0.2", "= 1.1"),
    ),
    bad(
        "routing-shares-sum",
        (SCREENING_ROUTES, "all: {assessment: 0.70, exit: 0.40}"),
        path="hub.stages.screening.routes.all",
        words=("shares must sum to 1", "assessment 0.7 + exit 0.4 = 1.1"),
    ),
    bad(
        "priority-class-shares-sum",
        ("    routine: 0.70", "    routine: 0.60"),
        at="  priority_classes:",
        path="hub.priority_classes",
        words=("shares must sum to 1", "urgent 0.3 + routine 0.6 = 0.9"),
    ),
    bad(
        "capacity-steps-out-of-order",
        ("- {from_date: 2023-04-01, wte: 2.75}", "- {from_date: 2021-01-01, wte: 2.75}"),
        at="    therapy:  ",
        path="hub.stages.therapy",
        words=("capacity must have strictly increasing from_date", "found 2021-02-01, 2021-01-01"),
    ),
    bad(
        "wave-dates-out-of-order",
        ("      peak_date: 2022-01-05", "      peak_date: 2022-04-05"),
        at="    - start_date: 2021-11-15",
        path="distress.waves[0]",
        words=("start_date <= peak_date <= end_date", "2021-11-15 / 2022-04-05 / 2022-03-15"),
    ),
    bad(
        "intervention-ends-before-it-starts",
        ("    end_date: 2021-03-31\n", "    end_date: 2021-01-31\n"),
        at="  - type: campaign             # launch promotion",
        path="interventions[0]",
        words=("end_date 2021-01-31 is before date 2021-02-01",),
    ),
    bad(
        "date-after-the-horizon",
        (EXTENSION_DATE, "    date: 2025-06-01"),
        path="interventions[3].date",
        words=("date 2025-06-01 is outside the simulated period 2021-02-01 to 2024-01-31",),
    ),
    bad(
        "date-before-the-start",
        (
            "      - {from_date: 2021-02-01, places: 900}",
            "      - {from_date: 2020-02-01, places: 900}",
        ),
        path="external.talking_therapies_treatment.capacity[0].from_date",
        words=("date 2020-02-01 is outside the simulated period",),
    ),
    bad(
        "warmup-as-long-as-the-horizon",
        ("  warmup_days: 0 ", "  warmup_days: 1095 "),
        path="simulation.warmup_days",
        words=("must be less than horizon_days (1095)", "found 1095"),
    ),
    bad(
        "unknown-distribution-kind",
        (ASSESSMENT_SERVICE, "{kind: weibull, shape: 2, mean_days: 0.5}"),
        path="hub.stages.assessment.service",
        words=("unknown kind 'weibull'", "allowed: 'exponential', 'lognormal', 'gamma'"),
    ),
    bad(
        "distribution-without-kind",
        (ASSESSMENT_SERVICE, "{shape: 2, mean_days: 0.5}"),
        path="hub.stages.assessment.service",
        words=("missing key 'kind'",),
    ),
    bad(
        "unknown-intervention-type",
        ("  - type: outreach ", "  - type: outreech "),
        path="interventions[2]",
        words=("unknown type 'outreech'", "'outreach'", "'closure'"),
    ),
    bad(
        "unknown-routing-destination",
        (SCREENING_ROUTES, "all: {assesment: 0.70, exit: 0.30}"),
        path="hub.stages.screening.routes.all.assesment",
        words=("unknown destination 'assesment'", "allowed: assessment, exit, secondary_care"),
    ),
    bad(
        "unknown-routing-class",
        ("routine: {therapy: 0.45", "rootine: {therapy: 0.45"),
        path="hub.stages.assessment.routes.rootine",
        words=("unknown class 'rootine'", "allowed: all, routine, urgent"),
        count=2,  # and class routine has no routes
    ),
    bad(
        "unknown-target-stage",
        ("    stage: assessment\n", "    stage: asessment\n"),
        path="targets.assessment_2_weeks.stage",
        words=("unknown stage 'asessment'", "allowed: assessment, screening, therapy"),
    ),
    bad(
        "unknown-closure-transfer-target",
        ("to: talking_therapies}", "to: talking_therapy}"),
        path="hub.stages.therapy.on_closure.to",
        words=("unknown stage or service 'talking_therapy'", "talking_therapies"),
    ),
    bad(
        "unknown-external-service",
        ("    from_service: talking_therapies", "    from_service: iapt"),
        path="hub.adaptive_therapy.from_service",
        words=("unknown external service 'iapt'", "allowed: secondary_care, talking_therapies"),
    ),
    bad(
        "unknown-sector",
        ("    sectors: [other_keyworker]", "    sectors: [other_keyworkers]"),
        path="interventions[3].sectors[0]",
        words=("unknown sector 'other_keyworkers'", "allowed: nhs, other_keyworker, social_care"),
    ),
    bad(
        "missing-required-key",
        (SEED, "  "),
        at="simulation:",
        path="simulation.seed",
        words=("missing required key 'seed'",),
    ),
    bad(
        "missing-required-section",
        ("\nhub:\n", "\nhubb:\n"),
        at=NAME,  # the document: hub is nowhere
        path="hub",
        words=("missing required key 'hub'",),
        count=2,  # and hubb is unknown
    ),
    bad(
        "stage-name-with-capitals",
        ("    screening:                 # first", "    Screening:                 # first"),
        path="hub.stages.Screening",
        words=("found 'Screening'", "allowed: a name of lower-case letters, digits and _"),
    ),
    bad(
        "empty-list",
        ("    sectors: [other_keyworker]", "    sectors: []"),
        path="interventions[3].sectors",
        words=("found 0 entries", "allowed: at least 1"),
    ),
    bad(
        "extends-not-a-path",
        (NAME, f"extends: 5\n{NAME}"),
        at="extends: 5",
        path="extends",
        words=("expected the path of a scenario file", "found 5"),
    ),
]


# Paths that the operating system refuses.
FILE_NAMES = [
    bad(
        "replay-file-name-too-long",
        ("demand:\n  mode: agents ", "demand: {mode: replay, file: " + "a" * 5000 + "}\n#"),
        at="demand: {mode: replay",
        path="demand.file",
        words=("replay file", "File name too long"),
    ),
    tiny(
        "extends-with-a-nul-byte",
        'name: child\nextends: "base\\0.yaml"\n',
        at=2,
        path="extends",
        words=("extends 'base\\x00.yaml': embedded null byte",),
    ),
    tiny(
        "extends-name-too-long",
        "extends: " + "a" * 5000 + ".yaml\n",
        path="extends",
        words=("File name too long",),
    ),
]


@pytest.mark.parametrize("case", YAML_LEVEL + SCHEMA_LEVEL + FILE_NAMES)
def test_bad_input_is_refused_at_its_line(case: Bad, write_variant, validate):
    variant = write_variant(case.edits, text=case.text)
    reported = validate(variant.file)

    assert reported.code == 2
    assert "Traceback" not in reported.err
    assert reported.out == ""
    problems = reported.problems
    assert len(problems) == case.count, reported.err
    problem = reported.problem_at(case.path)
    assert problem.file == str(variant.file)
    assert problem.line == (case.at if isinstance(case.at, int) else variant.line_of(case.at))
    for word in case.words:
        assert word in problem.message, reported.err
    plural = "s" if case.count > 1 else ""
    assert reported.err.endswith(f"{variant.file}: invalid ({case.count} problem{plural})\n")


def test_a_syntax_error_names_where_the_open_bracket_is(write_variant, validate):
    variant = write_variant([(HORIZON, "  horizon_days: [1095")])
    (problem,) = validate(variant.file).problems

    assert problem.line == variant.line_of("  warmup_days:")
    assert problem.message.endswith(
        f"(while parsing a flow sequence on line {variant.line_of('[1095')})"
    )


def test_enough_distinct_bad_inputs():
    ids = [param.id for param in YAML_LEVEL + SCHEMA_LEVEL + FILE_NAMES]
    assert len(set(ids)) == len(ids)
    assert len(ids) >= 30


def test_duplicate_keys_are_all_reported_with_the_first_line(write_variant, validate):
    variant = write_variant(
        [
            (SEED, "  seed: 7\n" + SEED),
            ("    routine: 0.70", "    routine: 0.70\n    urgent: 0.10"),
            (SCREENING_ROUTES, "all: {assessment: 0.70, exit: 0.20, exit: 0.10}"),
        ]
    )
    reported = validate(variant.file)

    assert reported.code == 2
    assert [(p.path, p.line) for p in reported.problems] == [
        ("simulation.seed", variant.line_of(SEED)),
        ("hub.priority_classes.urgent", variant.line_of("    urgent: 0.10")),
        ("hub.stages.screening.routes.all.exit", variant.line_of("exit: 0.20, exit: 0.10")),
    ]
    first_seed, first_urgent = variant.line_of("  seed: 7"), variant.line_of("    urgent: 0.30")
    assert f"duplicate key 'seed' (first given on line {first_seed})" in reported.err
    assert f"duplicate key 'urgent' (first given on line {first_urgent})" in reported.err
    assert reported.err.count("give each key once") == 3


def test_several_errors_in_one_file_are_reported_together(write_variant, validate):
    edits = {
        "simulation.horizon_days": (HORIZON, "  horizon_days: three years"),
        "hub.stages.therapy.capacity[0].wte": ("wte: 5.5}", "wte: -5.5}"),
        "distress.high_baseline_mean": ("  high_baseline_mean: 1.0", "  high_baseline_mean: .nan"),
        "workforce.stigma_share": ("stigma_share: 0.30", "stigma_share: 1.5"),
        "hub.stages.assessment.service": (ASSESSMENT_SERVICE, "{kind: weibull, mean_days: 1}"),
    }
    variant = write_variant(edits.values())
    reported = validate(variant.file)

    assert reported.code == 2
    expected = sorted((variant.line_of(new), path) for path, (_, new) in edits.items())
    assert [(p.line, p.path) for p in reported.problems] == expected
    assert reported.err.endswith("invalid (5 problems)\n")


def test_several_cross_section_errors_are_reported_together(write_variant, validate):
    variant = write_variant(
        [
            ("    stage: assessment\n", "    stage: asessment\n"),
            (EXTENSION_DATE, "    date: 2025-06-01"),
            (SCREENING_ROUTES, "all: {assesment: 0.70, exit: 0.30}"),
        ]
    )
    reported = validate(variant.file)

    assert reported.code == 2
    assert {p.path: p.line for p in reported.problems} == {
        "targets.assessment_2_weeks.stage": variant.line_of("    stage: asessment"),
        "interventions[3].date": variant.line_of("    date: 2025-06-01"),
        "hub.stages.screening.routes.all.assesment": variant.line_of("{assesment: 0.70"),
    }


def test_non_utf8_bytes_are_located(tmp_path, baseline_text, validate):
    file = tmp_path / "latin1.yaml"
    raw = baseline_text.encode("utf-8").replace(b"launched February", b"launched F\xe9vrier")
    file.write_bytes(raw)
    reported = validate(file)

    assert reported.code == 2
    (problem,) = reported.problems
    assert problem.line == baseline_text[: baseline_text.index("launched February")].count("\n") + 1
    assert "not UTF-8 text: byte 0xe9 at column 13" in problem.message
    assert "save the file as UTF-8" in problem.message


def test_an_alias_bomb_is_refused_quickly(write_variant, validate):
    # Nine levels of nine aliases: 9**9 (387 million) leaves if anything expanded it.
    levels = ["lol0: &lol0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 9)]
    variant = write_variant([(NAME, "\n".join(levels) + "\nname: *lol8")])

    started = time.perf_counter()
    reported = validate(variant.file)
    elapsed = time.perf_counter() - started

    assert elapsed < 5.0, "aliases were expanded"
    assert reported.code == 2
    (problem,) = reported.problems
    assert "aliases expand the document to" in problem.message
    assert "at most 200,000 are allowed (is this an alias bomb?)" in problem.message


def test_a_python_tag_is_never_run(tmp_path, write_variant, validate):
    marker = tmp_path / "pwned"
    variant = write_variant([(NAME, f"name: !!python/object/apply:os.system ['touch {marker}']")])

    reported = validate(variant.file)

    assert reported.code == 2
    assert reported.problem_at("name").line == variant.line_of("name: !!python")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda tmp: tmp / "nowhere.yaml", "file not found", id="missing-file"),
        pytest.param(lambda tmp: tmp, "is a directory; expected a YAML file", id="directory"),
        pytest.param(
            lambda tmp: tmp / ("a" * 5000), "cannot read: File name too long", id="name-too-long"
        ),
    ],
)
def test_a_file_that_cannot_be_read_has_no_line(tmp_path, make, message, validate):
    file = make(tmp_path)
    reported = validate(file)

    assert reported.code == 2
    assert reported.err == f"{file}: (document): {message}\n{file}: invalid (1 problem)\n"


def test_one_invalid_file_among_valid_ones_fails_the_run(write_variant, validate):
    good = write_variant(name="good.yaml")
    bad = write_variant([(HORIZON, "  horizon_days: -1")], name="bad.yaml")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", "-q", str(good.file), str(bad.file), str(good.file)])

    assert code == 2
    assert out.getvalue() == f"{good.file}: valid\n" * 2
    where = f"{bad.file}:{bad.line_of('  horizon_days: -1')}: simulation.horizon_days: "
    assert err.getvalue().startswith(where)


# --- extends: the parent is missing, a cycle, or bad itself --------------------------------


def test_missing_parent_is_reported_at_the_extends_line(write_variant, validate):
    child = write_variant(text="# a variant\nextends: nowhere.yaml\nname: child\n")
    reported = validate(child.file)

    assert reported.code == 2
    problem = reported.problem_at("extends")
    assert problem.line == 2
    assert "extends 'nowhere.yaml': not found" in problem.message
    assert str(child.file.parent / "nowhere.yaml") in problem.message


def test_a_directory_as_parent_is_refused(tmp_path, write_variant, validate):
    (tmp_path / "folder").mkdir()
    child = write_variant(text="extends: folder\nname: child\n", name="child.yaml")
    reported = validate(child.file)

    assert reported.code == 2
    assert "extends 'folder': is a directory" in reported.problem_at("extends").message


def test_a_cycle_of_two_files_is_refused(write_variant, validate):
    a = write_variant(text="extends: b.yaml\nname: a\n", name="a.yaml")
    b = write_variant(text="name: b\nextends: a.yaml\n", name="b.yaml")
    reported = validate(a.file)

    assert reported.code == 2
    (problem,) = reported.problems
    assert (problem.file, problem.line, problem.path) == (str(b.file), 2, "extends")
    assert "extends forms a cycle: a.yaml -> b.yaml -> a.yaml" in problem.message


def test_a_file_extending_itself_is_refused(write_variant, validate):
    me = write_variant(text="name: me\nextends: ./me.yaml\n", name="me.yaml")
    reported = validate(me.file)

    assert reported.code == 2
    (problem,) = reported.problems
    assert (problem.file, problem.line) == (str(me.file), 2)
    assert "extends forms a cycle: me.yaml -> me.yaml" in problem.message


def test_an_error_in_the_parent_names_the_parents_file_and_line(write_variant, validate):
    parent = write_variant([(HORIZON, "  horizon_days: -3")], name="parent.yaml")
    child = write_variant(text="extends: parent.yaml\nname: child\n", name="child.yaml")
    reported = validate(child.file)

    assert reported.code == 2
    (problem,) = reported.problems
    assert problem.file == str(parent.file)
    assert problem.line == parent.line_of("  horizon_days: -3")
    assert problem.path == "simulation.horizon_days"
    assert "found -3; allowed: greater than or equal to 1" in problem.message
    assert reported.err.endswith(f"{child.file}: invalid (1 problem)\n")


def test_a_syntax_error_in_the_parent_names_the_parent(write_variant, validate):
    parent = write_variant([(SEED, "\tseed: 1")], name="parent.yaml")
    child = write_variant(text="extends: parent.yaml\nname: child\n", name="child.yaml")
    reported = validate(child.file)

    assert reported.code == 2
    (problem,) = reported.problems
    assert (problem.file, problem.line) == (str(parent.file), parent.line_of("\tseed: 1"))
    assert "tab character" in problem.message


# --- Python API ------------------------------------------------------------------------------


def test_load_scenario_raises_scenario_error_with_problems(write_variant):
    variant = write_variant([(HORIZON, "  horizon_days: 0"), (SEED, "  seed: -1 ")])

    with pytest.raises(ScenarioError) as raised:
        load_scenario(variant.file)

    problems = raised.value.problems
    assert all(isinstance(problem, Problem) for problem in problems)
    assert [(p.file, p.line, p.path) for p in problems] == [
        (variant.file, variant.line_of("  horizon_days: 0"), ("simulation", "horizon_days")),
        (variant.file, variant.line_of("  seed: -1"), ("simulation", "seed")),
    ]
    assert "greater than or equal to 0" in problems[1].message
    assert str(raised.value).splitlines() == [str(problem) for problem in problems]


# --- the real entry point, end to end --------------------------------------------------------


def _hubsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, check=False, cwd=ROOT
    )


def test_entry_point_exits_2_with_file_and_line(write_variant):
    variant = write_variant([("wte: 5.5}", "wte: -5.5}"), (HORIZON, "  horizon_days: .nan")])
    done = _hubsim("validate", str(variant.file))

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{variant.file}:{variant.line_of('wte: -5.5}')}: hub.stages.therapy" in done.stderr
    assert f"{variant.file}:{variant.line_of('.nan')}: simulation.horizon_days" in done.stderr
    assert done.stderr.endswith("invalid (2 problems)\n")


def test_entry_point_refuses_a_python_tag_without_running_it(tmp_path, write_variant):
    marker = tmp_path / "pwned"
    variant = write_variant(text=f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    done = _hubsim("validate", str(variant.file))

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{variant.file}:1: name: tag !!python/object/apply:os.system" in done.stderr
    assert not marker.exists()


def test_entry_point_exits_2_for_a_missing_file(tmp_path):
    done = _hubsim("validate", str(tmp_path / "nowhere.yaml"))

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "nowhere.yaml: (document): file not found" in done.stderr

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import Scenario, load_scenario

SCENARIOS = sorted(Path("scenarios").glob("*.yaml"))


def test_every_shipped_scenario_is_valid(capsys):
    assert SCENARIOS, "no scenarios found"
    assert main(["validate", "--quiet", *map(str, SCENARIOS)]) == 0
    out = capsys.readouterr().out
    assert out.count(": valid") == len(SCENARIOS)


def test_validate_prints_the_resolved_summary(capsys):
    # The numbers come from the file, so recalibrating the baseline breaks nothing here.
    scenario = load_scenario("scenarios/baseline.yaml")
    assert main(["validate", "scenarios/baseline.yaml"]) == 0
    out = capsys.readouterr().out
    assert f"{scenario.workforce.size:,} keyworker agents" in out
    for name, stage in scenario.hub.stages.items():
        assert f"hub stage   {name}:" in out
        for step in stage.capacity:
            assert f"from {step.from_date}  {step.wte:g} WTE = " in out
    for target in scenario.targets.values():
        assert f"{target.share:.0%} reach {target.stage} within {target.within_days:g} days" in out


def test_variant_inherits_from_baseline_and_overrides():
    base = load_scenario("scenarios/baseline.yaml")
    variant = load_scenario("scenarios/more-therapy.yaml")
    assert variant.workforce == base.workforce
    assert len(variant.hub.stages["therapy"].capacity) == 1
    treatment = "talking_therapies_treatment"
    assert variant.external[treatment].capacity[0].places == 800
    assert variant.external[treatment].service == base.external[treatment].service


def test_scenario_is_frozen():
    scenario = load_scenario("scenarios/baseline.yaml")
    with pytest.raises(Exception, match="frozen"):
        scenario.name = "changed"


def test_python_api_applies_the_cross_section_checks():
    data = load_scenario("scenarios/baseline.yaml").model_dump()
    data["targets"]["assessment_2_weeks"]["stage"] = "assesment"
    with pytest.raises(ValueError, match="unknown stage 'assesment'"):
        Scenario.model_validate(data)


def test_schema_is_json_with_the_sections(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    complete = schema["anyOf"][0]
    assert {"simulation", "hub", "workforce", "interventions"} <= set(complete["properties"])
    assert "extends" in schema["anyOf"][1]["properties"]


def test_python_dash_m_sim_is_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", "-q", "scenarios/queue-only.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


def test_unknown_subcommand_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_pathway_cycle_is_refused_with_its_line(tmp_path, capsys):
    variant = tmp_path / "cycle.yaml"
    variant.write_text(
        f"extends: {Path('scenarios/baseline.yaml').resolve()}\n"
        "hub:\n"
        "  stages:\n"
        "    assessment:\n"
        "      routes:\n"
        "        urgent: {screening: 0.1, therapy: 0.6, exit: 0.3}\n"
        "        routine: {therapy: 0.7, exit: 0.3}\n"
    )
    assert main(["validate", str(variant)]) == 2
    err = capsys.readouterr().err
    assert "cycle.yaml:5: hub.stages.assessment.routes: the pathway forms a cycle" in err
    assert "(screening -> assessment -> screening)" in err


def test_carriage_returns_after_a_comment_are_reported_not_crashed_on(tmp_path, capsys):
    # Found by the slow mutation test: the round-trip composer's comment handling raised
    # NotImplementedError ("overlap in comment") on this damage.
    text = Path("scenarios/baseline.yaml").read_text()
    marker = "(DF §B 'Local adaptations', S)\n      capacity:"
    assert text.count(marker) == 1
    damaged = tmp_path / "damaged.yaml"
    damaged.write_text(text.replace(marker, marker.replace("capacity", "c\r\rapacity")))
    assert main(["validate", str(damaged)]) == 2
    err = capsys.readouterr().err
    assert "damaged.yaml:" in err and "Traceback" not in err

import pytest
from analysis_support import QUEUE_ONLY, write

from sim.analysis.design import design_table
from sim.analysis.experiment import load_experiment
from sim.analysis.points import check_points, point_model
from sim.cli import main
from sim.scenario import ScenarioError


def _problems(path):
    with pytest.raises(ScenarioError) as caught:
        load_experiment(path)
    return caught.value.problems


def _line(text, needle):
    return text[: text.index(needle)].count("\n") + 1


def test_the_small_experiment_loads_with_its_scenario_resolved(small_experiment):
    experiment = load_experiment(small_experiment)
    assert experiment.scenario == str(QUEUE_ONLY)
    assert experiment.parameters["stage1_wte"].integer
    assert experiment.kpis == ("stage2.wait_mean_days", "target.stage1_within_1_day.share_within")


def test_an_unknown_key_is_named_with_its_line_and_a_did_you_mean(tmp_path, experiment_text):
    text = experiment_text.replace("replications: 3", "replicatons: 3")
    [problem] = _problems(write(tmp_path, text))
    assert problem.line == _line(text, "replicatons")
    assert problem.path == ("replicatons",)
    assert "did you mean 'replications'" in problem.message


def test_a_bad_parameter_path_is_reported_at_the_parameter(tmp_path, experiment_text):
    text = experiment_text.replace("stage2.patience.mean_days", "stage2.patience.mean_dayz")
    [problem] = _problems(write(tmp_path, text))
    assert problem.path == ("parameters", "stage2_patience_days", "path")
    assert problem.line == _line(text, "path: hub.stages.stage2.patience")
    assert "mean_dayz" in problem.message


def test_a_bound_the_scenario_refuses_is_reported(tmp_path, experiment_text):
    text = experiment_text.replace("low: 20", "low: -5")
    [problem] = _problems(write(tmp_path, text))
    assert problem.path == ("parameters", "stage2_patience_days", "path")
    assert "at low = -5" in problem.message


def test_kpis_the_scenario_does_not_give_are_refused(tmp_path, experiment_text):
    text = experiment_text.replace("stage2.wait_mean_days", "stage3.wait_mean_days")
    more = "  - agents.prevalence_mean\n  - stage1.wait_mean_minutes\n  - target.x"
    text = text.replace("  - target.stage1_within_1_day", more)
    problems = _problems(write(tmp_path, text))
    assert [p.path for p in problems] == [("kpis", i) for i in range(4)]
    assert "no stage or service 'stage3'" in problems[0].message
    assert "not agents" in problems[1].message
    assert "not a declared KPI" in problems[2].message
    assert "no target 'x'; the scenario has stage1_within_1_day" in problems[3].message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("samples: 4", "samples: 4\n  levels: 1", "greater than or equal to 2"),
        ("method: morris\n  samples: 4", "method: sobol\n  samples: 6", "power of 2"),
        ("samples: 4", "", "needs samples"),
        ("low: 20", "low: 95", "low must be below high"),
        ("seed: 7", "seed: '7'", "a whole number"),
    ],
)
def test_schema_problems_name_what_is_allowed(tmp_path, experiment_text, old, new, expected):
    text = experiment_text.replace(old, new)
    problems = _problems(write(tmp_path, text))
    assert any(expected in p.message for p in problems), problems
    assert all(p.line is not None for p in problems)


def test_a_combination_the_scenario_refuses_names_the_point_and_its_values(tmp_path):
    # Each bound is valid alone (against the base's 120 and 30 days); together the warm-up
    # can be longer than the horizon.
    text = f"""\
name: bad combination
scenario: {QUEUE_ONLY}
set: {{simulation.horizon_days: 120, simulation.warmup_days: 30}}
parameters:
  warmup: {{path: simulation.warmup_days, low: 30, high: 100, integer: true}}
  horizon: {{path: simulation.horizon_days, low: 60, high: 200, integer: true}}
design: {{method: grid, levels: 2}}
seed: 1
kpis: [stage1.wait_mean_days]
"""
    experiment = load_experiment(write(tmp_path, text))  # each bound alone is valid
    design = design_table(experiment)
    with pytest.raises(ScenarioError) as caught:
        check_points(point_model(experiment), design, experiment.origin)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (tmp_path / "experiment.yaml", _line(text, "design:"))
    assert problem.path == ("design",)
    assert "point 2 (warmup=100, horizon=60)" in problem.message
    assert "must be less than horizon_days" in problem.message


def test_hubsim_sweep_exits_2_on_a_bad_experiment_or_design(tmp_path, experiment_text, capsys):
    bad = write(tmp_path, experiment_text.replace("seed: 7", "sed: 7"), "bad.yaml")
    assert main(["sweep", str(bad), "--workers", "1", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:{_line(experiment_text, 'seed: 7')}: sed: unknown key" in err
    assert "Traceback" not in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "a.partial").exists()


def test_resume_without_out_exits_2(small_experiment, capsys):
    assert main(["sweep", str(small_experiment), "--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err


def test_a_test_function_takes_no_paths_and_only_y(tmp_path):
    text = """\
name: ishigami
function: ishigami
parameters:
  x1: {low: -3.14, high: 3.14, path: a.b}
  x2: {low: -3.14, high: 3.14}
design: {method: latin, samples: 10}
seed: 1
kpis: [z]
"""
    problems = _problems(write(tmp_path, text))
    assert "a test function's parameters have no path" in problems[0].message


@pytest.mark.parametrize("command", ["sweep", "analyse"])
def test_the_analysis_commands_help_ends_with_examples(command):
    from sim.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    examples = commands[command].format_help().split("examples:\n")
    assert len(examples) == 2
    lines = [line for line in examples[1].splitlines() if line.strip()]
    assert lines and all(line.strip().startswith(f"hubsim {command} ") for line in lines)


def test_building_the_parser_does_not_import_the_analysis():
    import subprocess
    import sys

    code = (
        "import sys; from sim.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules"
        " if m.startswith(('sim.analysis.', 'SALib', 'pandas'))))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "['sim.analysis.commands']"

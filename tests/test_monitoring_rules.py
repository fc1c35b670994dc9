"""The Prometheus configuration and rules in every rendering the answers give (use_redis, use_celery, use_auth).

promtool checks the configuration and the rules and runs the rules' unit tests (alerts.test.yml);
the rest is read here: every alert has a test that fires it, and the rules read only what the
variant exposes.
"""

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Bake
from tests.monitoring import UP, exposed_families, jobs, load_yaml, selectors
from tests.variants import Answers, combinations, variant_id

SLUG = "my_service"
FEATURES = ["use_redis", "use_celery", "use_auth"]
PROMETHEUS = Path("monitoring/prometheus")
CONFIG, RULES, RULE_TESTS = PROMETHEUS / "prometheus.yml", PROMETHEUS / "alerts.yml", PROMETHEUS / "alerts.test.yml"
COMMANDS = [["check", "config", str(CONFIG)], ["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)]]
SEVERITIES = {"page", "ticket"}
# promtool's verdict on each distinct rendering ("" when it passed): use_auth, say, changes none of the files.
_verdicts: dict[str, str] = {}


def promtool_failures(project: Path) -> str:
    digest = hashlib.sha256(b"\0".join((project / path).read_bytes() for path in (CONFIG, RULES, RULE_TESTS)))
    if digest.hexdigest() not in _verdicts:
        failures = []
        for command in COMMANDS:
            result = subprocess.run(
                ["promtool", *command], cwd=project, capture_output=True, text=True, timeout=300, check=False
            )
            if result.returncode != 0:
                failures.append(f"promtool {' '.join(command)}:\n{result.stdout}{result.stderr}")
        _verdicts[digest.hexdigest()] = "\n".join(failures)
    return _verdicts[digest.hexdigest()]


def rules(project: Path) -> list[dict[str, Any]]:
    return [rule for group in load_yaml(project / RULES)["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("answers", list(combinations(FEATURES)), ids=variant_id)
def test_promtool_accepts_the_configuration_and_rules_and_their_tests_pass(bake: Bake, answers: Answers) -> None:
    project = bake(**answers)
    failures = promtool_failures(project)
    assert failures == "", failures


@pytest.mark.parametrize("answers", list(combinations(FEATURES)), ids=variant_id)
def test_every_alert_is_labelled_annotated_and_fired_by_a_test(bake: Bake, answers: Answers) -> None:
    project = bake(**answers)
    alerts = {rule["alert"]: rule for rule in rules(project) if "alert" in rule}
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in SEVERITIES, name
        assert {"summary", "description"} <= set(rule["annotations"]), name
    # Prometheus's own templates survive the rendering.
    assert "{{ $value | humanizePercentage }}" in (project / RULES).read_text()
    tests = load_yaml(project / RULE_TESTS)
    checks = [check for test in tests["tests"] for check in test.get("alert_rule_test", [])]
    assert {check["alertname"] for check in checks} - set(alerts) == set(), "tests of alerts that do not exist"
    fired = {check["alertname"] for check in checks if check.get("exp_alerts")}
    assert set(alerts) - fired == set(), "alerts no test fires"
    # promtool evaluates groups in a random order unless told.
    groups = [group["name"] for group in load_yaml(project / RULES)["groups"]]
    assert tests["group_eval_order"] == groups


@pytest.mark.parametrize("answers", list(combinations(FEATURES)), ids=variant_id)
def test_rules_read_only_what_the_variant_exposes(bake: Bake, answers: Answers) -> None:
    """Every series a rule selects is exposed by the job it names, or recorded by a rule."""
    project = bake(**answers)
    job_names = jobs(SLUG, answers)
    exposed = {series: job_names[family.job] for family in exposed_families(answers) for series in family.series()}
    recorded = {rule["record"] for rule in rules(project) if "record" in rule}
    for rule in rules(project):
        for selector in selectors(rule["expr"]):
            assert selector.name in {*exposed, *recorded, UP}, f"{rule}: {selector.name} is not exposed"
            if selector.name in exposed:
                assert selector.equal.get("job") == exposed[selector.name], f"{rule}: {selector.name} of another job"
    scraped = [job["job_name"] for job in load_yaml(project / CONFIG)["scrape_configs"]]
    assert scraped == list(job_names.values())

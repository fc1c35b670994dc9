"""The systemd units of deployment=bare, checked offline on every code-shaping combination with the
machine's own systemd: `systemd-analyze verify` with no output at all (unknown keys are only
warnings there), `systemd-analyze security --offline` under a threshold (the scores are printed),
and the units' wiring: the web app requires the migration, every unit gets the shared drop-in
(account, settings, sandbox), and gunicorn's readiness reaches systemd.
"""

import re
from collections.abc import Callable

import pytest

from tests.conftest import FIGURE, Bake
from tests.systemd_units import SLUG, UNITS, analyze, install_root, read_unit, unit_names
from tests.variants import Answers, code_variants, variant_id

VARIANTS = [answers | {"deployment": "bare"} for answers in code_variants()]
# systemd's exposure scale is 0 (locked down) to 10 (unprotected); our units score 1.3 on systemd 252.
EXPOSURE_THRESHOLD = 2.0
EXPOSURE = re.compile(r"Overall exposure level for (\S+): ([0-9.]+)")
SANDBOX = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
}


@pytest.mark.parametrize("answers", VARIANTS, ids=variant_id)
def test_systemd_units_verify_score_and_wire_up(
    bake: Bake,
    answers: Answers,
    tmp_path_factory: pytest.TempPathFactory,
    record_property: Callable[[str, object], None],
) -> None:
    project = bake(**answers)
    assert not any((project / name).exists() for name in ("Dockerfile", "compose.yaml", "deploy/k8s"))
    names = unit_names(project)
    services = [name for name in names if name.endswith(".service")]
    expected = {"migrate", "web"} | ({"worker", "beat"} if answers["use_celery"] else set())
    assert services == sorted(f"{SLUG}-{process}.service" for process in expected)
    assert names == sorted([*services, f"{SLUG}.target"])

    root = install_root(project, tmp_path_factory.mktemp("root"))
    verified = analyze(root, "verify", *names)
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")
    threshold = f"--threshold={int(EXPOSURE_THRESHOLD * 10)}"
    scored = analyze(root, "security", "--offline=true", threshold, "--no-pager", *services)
    scores = {unit: float(score) for unit, score in EXPOSURE.findall(scored.stdout)}
    assert set(scores) == set(services), scored.stdout[-2000:] + scored.stderr
    assert scored.returncode == 0, f"an exposure above {EXPOSURE_THRESHOLD}: {scores}"
    if answers["use_celery"] and answers["database"] == "postgresql" and answers["use_auth"]:
        record_property(FIGURE + "exposure", ", ".join(f"{unit} {score}" for unit, score in sorted(scores.items())))

    common = read_unit(project / UNITS / f"{SLUG}-.service.d/common.conf")["Service"]
    assert common["User"] == SLUG
    assert common["EnvironmentFile"] == f"/etc/{SLUG}/{SLUG}.env"
    assert {key: common.get(key) for key in SANDBOX} == SANDBOX
    assert ("StateDirectory" in common) == (answers["database"] == "sqlite"), "only SQLite keeps state here"
    web = read_unit(project / UNITS / f"{SLUG}-web.service")
    assert web["Unit"]["Requires"] == f"{SLUG}-migrate.service"
    assert f"{SLUG}-migrate.service" in web["Unit"]["After"].split()
    assert web["Service"]["Type"] == ("notify" if answers["framework"] == "flask" else "exec")
    assert web["Service"]["Environment"].startswith("PROMETHEUS_MULTIPROC_DIR=%t/"), "emptied at restart"
    assert web["Service"]["RuntimeDirectory"] == f"{SLUG}-web"
    target = read_unit(project / UNITS / f"{SLUG}.target")
    assert sorted(target["Unit"]["Wants"].split()) == sorted(set(services) - {f"{SLUG}-migrate.service"})
    for service in services:
        unit = read_unit(project / UNITS / service)
        assert unit["Service"]["ExecStart"].startswith(f"/opt/{SLUG}/venv/bin/{SLUG} "), service
        if service != f"{SLUG}-migrate.service":
            assert unit["Unit"]["PartOf"] == f"{SLUG}.target", service
            assert unit["Service"]["Restart"] == "on-failure", service

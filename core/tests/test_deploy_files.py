"""The Dockerfile and docker-compose.yml start every process with the one
start script CI's scripts/prod_smoke runs, and compose loads the time-zone
tables before migrating (read as scripts/prod_smoke reads them)."""
import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _prod_smoke():
    spec = importlib.util.spec_from_file_location("prod_smoke", ROOT / "scripts" / "prod_smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_image_and_compose_run_the_start_scripts_prod_smoke_runs():
    commands = _prod_smoke().read_commands()
    assert commands["web"] == ["scripts/start-web"]
    assert commands["worker"] == ["scripts/start-worker"]
    assert commands["beat"] == ["scripts/start-beat"]
    assert commands["migrate"] == ["scripts/migrate"]
    assert commands["image_env"]["DEBUG"] == "0"
    assert "manage.py collectstatic --noinput" in commands["collectstatic"]
    for name in ("start-web", "start-worker", "start-beat", "migrate"):
        assert (ROOT / "scripts" / name).stat().st_mode & 0o111, f"scripts/{name} is not executable"


def test_compose_loads_the_time_zone_tables_before_migrating_and_migrates_before_starting():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    tz = services["mysql-timezones"]
    assert tz["command"] == ["bash", "/mysql_timezones"] and "./scripts/mysql_timezones:/mysql_timezones:ro" in tz["volumes"]
    assert tz["depends_on"]["mysql"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"] == {"mysql-timezones": {"condition": "service_completed_successfully"}}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


def test_a_dockerfile_cmd_that_differs_from_compose_web_is_refused(tmp_path, monkeypatch):
    smoke = _prod_smoke()
    (tmp_path / "Dockerfile").write_text((ROOT / "Dockerfile").read_text().replace('CMD ["scripts/start-web"]', 'CMD ["gunicorn", "x"]'))
    (tmp_path / "docker-compose.yml").write_text((ROOT / "docker-compose.yml").read_text())
    monkeypatch.setattr(smoke, "ROOT", tmp_path)
    with pytest.raises(smoke.SmokeFailure, match="differ"):
        smoke.read_commands()

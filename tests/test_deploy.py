"""The deployment kit (Dockerfile, compose.yaml, deploy/muster.service, deploy/muster.cron): no
container engine or systemd runs here, so these read each file and check that the paths, users and
commands it names exist and agree with each other and with the code."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from bot import __main__ as cli

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# The subcommands `muster` takes, as its usage line names them.
SUBCOMMANDS = set(re.findall(r"[a-z][a-z-]*", cli.USAGE.split("muster", 1)[1])) - {"path", "file"}


def _muster_command(words: list[str]) -> None:
    """``words`` run the `muster` console script with a subcommand it has."""
    assert Path(words[0]).name == "muster", words
    assert PYPROJECT["project"]["scripts"]["muster"] == "bot.__main__:console"
    assert words[1] in SUBCOMMANDS, words
    assert len(words) == (3 if words[1] in ("backup", "import-postcodes") else 2), words


def test_the_console_script_is_installed_and_knows_its_subcommands() -> None:
    assert {"run", "migrate", "check", "backup", "import-postcodes"} == SUBCOMMANDS
    script = Path(sys.executable).parent / "muster"
    done = subprocess.run([script, "nonsense"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (2, f"muster: {cli.USAGE}\n")
    assert PYPROJECT["project"]["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def _dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, rest = line.strip().partition(" ")
            found.append((instruction.upper(), " ".join(rest.split())))
    return found


def _env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    return dict(
        shlex.split(pair)[0].split("=", 1)
        for kind, rest in instructions
        if kind == "ENV"
        for pair in shlex.split(rest)
    )


def test_dockerfile() -> None:
    steps = _dockerfile()
    first = dict(steps)
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", first["FROM"])
    ignored = (ROOT / ".dockerignore").read_text().split()
    copied = []
    for kind, rest in steps:
        if kind == "COPY":
            *sources, _target = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source not in ignored, source
                copied.append(source)
    # Every package the project installs is copied in.
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]) == {
        f"{name}*" for name in ("bot", "db", "handlers", "schedules")
    }
    assert {"bot", "db", "handlers", "schedules", "requirements.lock", "pyproject.toml"} <= set(
        copied
    )
    runs = [rest for kind, rest in steps if kind == "RUN"]
    assert "pip install --require-hashes -r requirements.lock" in runs
    assert "pip install --no-deps ." in runs
    # Not root: the user it switches to is the one it creates.
    assert first["USER"] == "muster"
    assert any(re.search(r"useradd .* muster( |$)", run) for run in runs)
    env = _env(steps)
    assert first["VOLUME"] == '["/data"]'
    assert env["MUSTER_HOME"] == "/data"
    assert env["DATABASE_URL"] == "sqlite:////data/muster.db"
    assert env["MPLCONFIGDIR"].startswith("/tmp/")
    healthcheck = first["HEALTHCHECK"]
    assert healthcheck.split(" CMD ", 1)[1] == '["muster", "check"]'
    _muster_command(["muster", "check"])
    _muster_command(yaml.safe_load(first["CMD"]))


def test_compose_file() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    muster = compose["services"]["muster"]
    assert muster["build"] == "." and (ROOT / "Dockerfile").exists()
    assert muster["env_file"] == ".env" and (ROOT / ".env.example").exists()
    volume, target = muster["volumes"][0].split(":")
    assert target == "/data" and volume in compose["volumes"]
    assert "muster" not in compose["services"]["muster"].get("profiles", [])
    # SQLite by default: PostgreSQL only with its profile, and not needed without it.
    postgres = compose["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert muster["depends_on"]["postgres"]["required"] is False
    volume, _ = postgres["volumes"][0].split(":")
    assert volume in compose["volumes"]


def _unit() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] = {}
    for line in (ROOT / "deploy" / "muster.service").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            section.setdefault(key, []).append(value)
    return sections


def test_systemd_unit() -> None:
    service = _unit()["Service"]
    (home,) = service["WorkingDirectory"]
    (user,) = service["User"]
    assert user == "muster" and service["Group"] == ["muster"]
    assert service["Restart"] == ["on-failure"]
    env = dict(value.split("=", 1) for value in service["Environment"])
    assert env["MUSTER_HOME"] == home
    assert service["EnvironmentFile"] == [f"{home}/.env"]
    writable = service["ReadWritePaths"][0].split()
    assert f"{home}/data" in writable
    assert any(env["MPLCONFIGDIR"].startswith(path) for path in writable)
    (start,) = service["ExecStart"]
    words = start.split()
    # The venv the README's install steps make in the unit's home: here, this one.
    assert words[0] == f"{home}/.venv/bin/muster"
    assert (Path(sys.executable).parent / "muster").exists()
    _muster_command(words)
    assert _unit()["Install"]["WantedBy"] == ["multi-user.target"]


def test_cron_jobs() -> None:
    service = _unit()["Service"]
    (home,) = service["WorkingDirectory"]
    jobs = []
    for line in (ROOT / "deploy" / "muster.cron").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.fullmatch(r"[A-Z_]+=\S+", line):
            assert line == f"MUSTER_HOME={home}"
            continue
        fields = line.split(None, 6)
        assert fields[5] == service["User"][0]  # runs as the bot's user
        jobs.append(fields[6])
    backup, check = jobs
    # The third word is the copy's path, which holds the date: $(date +%F).
    words = backup.split(" && ")[0].split(None, 2)
    _muster_command(words)
    assert words[0] == f"{home}/.venv/bin/muster" and words[1] == "backup"
    assert words[2].startswith(f"{home}/data/backups/")  # inside what the unit may write
    assert check.split()[:2] == [f"{home}/.venv/bin/muster", "check"]

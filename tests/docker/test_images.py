"""The Docker files: the image builds from exactly what the Dockerfile copies, and the
company that `docker compose up` starts federates (every department allows the others).

No Docker engine runs here, so the build is checked the way the image's build stage sees
the source: the paths its COPY lines name are copied into an empty folder and `cargo check
--locked --bin groundswell` runs there (templates, stylesheets, migrations and `include_*!`
files are all read at compile time, so a path left out fails it).
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def build_stage_copies():
    """(source paths, destination) of every COPY in the Dockerfile's first (build) stage."""
    copies = []
    stages = 0
    for raw in (DOCKER / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if line.startswith("FROM "):
            stages += 1
            if stages > 1:
                break
        if line.startswith("COPY ") and "--from" not in line:
            *sources, dest = line.split()[1:]
            copies.append((sources, dest))
    return copies


def test_the_build_stage_copies_everything_the_build_reads():
    copies = build_stage_copies()
    assert copies, "the Dockerfile's build stage copies nothing"
    with tempfile.TemporaryDirectory(prefix="gs-docker-") as tmp:
        context = Path(tmp)
        for sources, dest in copies:
            for source in sources:
                src = ROOT / source
                assert src.exists(), f"the Dockerfile copies {source}, which does not exist"
                if src.is_dir():
                    # A directory's contents go into the destination, as Docker copies them.
                    shutil.copytree(src, context / dest, dirs_exist_ok=True)
                else:
                    target = context / dest / src.name if dest.endswith("/") else context / dest
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target)
        env = dict(os.environ)
        env.setdefault("CARGO_TARGET_DIR", str(ROOT / "target"))
        done = subprocess.run(
            ["cargo", "check", "--locked", "--quiet", "--bin", "groundswell"],
            cwd=context,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"the image's sources do not build:\n{done.stderr[-4000:]}"


def test_every_department_of_the_compose_file_allows_the_others():
    compose = yaml.safe_load((DOCKER / "compose.yml").read_text())
    departments = {
        name: service["environment"]
        for name, service in compose["services"].items()
        if "GROUNDSWELL_INSTANCE__DOMAIN" in (service.get("environment") or {})
    }
    assert len(departments) >= 2, departments
    domains = {name: env["GROUNDSWELL_INSTANCE__DOMAIN"] for name, env in departments.items()}
    for name, env in departments.items():
        allowed = {d.strip() for d in env.get("GROUNDSWELL_FEDERATION__ALLOWED_DOMAINS", "").split(",") if d.strip()}
        others = {d for other, d in domains.items() if other != name}
        assert allowed == others, f"{name} allows {sorted(allowed)}, not the other departments {sorted(others)}"
    # They reach each other through the proxy, by their public names.
    proxy = compose["services"]["proxy"]["networks"]["internal"]
    assert set(proxy.get("aliases", [])) >= set(domains.values())

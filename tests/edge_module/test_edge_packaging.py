"""The IoT Edge packaging agrees with the code: module.json, the Dockerfiles and the fleet's deployment."""

from __future__ import annotations

import json
import re
from pathlib import Path

from edge_module import __version__
from edge_module.config import ModuleSettings
from edge_module.create_options import join_create_options
from edge_module.deployment import IMAGE_REPOSITORY, MODULE_NAME, EdgeDeploymentSettings, render_deployment

EDGE = Path(__file__).resolve().parents[2] / "edge_module"


def test_module_json_points_at_existing_dockerfiles_and_a_context_holding_the_contract() -> None:
    module = json.loads((EDGE / "module.json").read_text())
    platforms = module["image"]["tag"]["platforms"]
    assert set(platforms) == {"amd64", "arm64v8"}
    for dockerfile in platforms.values():
        text = (EDGE / dockerfile).read_text()
        assert 'CMD ["python", "-m", "edge_module"]' in text
        context = (EDGE / module["image"]["contextPath"]).resolve()
        for src in re.findall(r"^COPY (.+) \S+$", text, re.M):
            for path in src.split():
                assert (context / path).exists(), f"{dockerfile} copies {path}, missing from the build context"
        assert "USER 1000" in text
        assert (EDGE / f"{Path(dockerfile).name}.dockerignore").is_file()


def test_module_json_names_the_image_and_version_the_deployment_pulls() -> None:
    module = json.loads((EDGE / "module.json").read_text())
    # module.json is iotedgedev's: its ${CONTAINER_REGISTRY_ADDRESS} is filled from the environment at build time.
    assert module["image"]["repository"] == f"${{CONTAINER_REGISTRY_ADDRESS}}/{IMAGE_REPOSITORY}"
    assert module["image"]["tag"]["version"] == __version__
    settings = EdgeDeploymentSettings(image_tag=f"{__version__}-arm64v8")
    ours = render_deployment(settings)["content"]["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]
    assert ours[MODULE_NAME]["settings"]["image"] == f"{settings.registry}/{IMAGE_REPOSITORY}:{__version__}-arm64v8"


def test_the_container_runs_as_the_user_that_owns_the_buffer_volume() -> None:
    ours = render_deployment(EdgeDeploymentSettings())["content"]["modulesContent"]["$edgeAgent"]
    host_config = join_create_options(ours["properties.desired"]["modules"][MODULE_NAME]["settings"])["HostConfig"]
    assert f"/var/lib/footfall/buffer:{ModuleSettings().buffer_dir}" in host_config["Binds"]
    assert host_config["CapDrop"] == ["ALL"] and host_config["SecurityOpt"] == ["no-new-privileges"]

"""The README's Python example as a program: a local-only site and a DockerHost site.

Usage: python python-app.py <app dir> <outdir>. Synthesizes both stacks into
outdir and prints one JSON object: what crossed the jsii boundary back to Python.
"""
import json
import sys

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_docker.provider import DockerProvider
from cdktf_apache_wsgi import ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp
from cdktf_apache_wsgi.docker import DockerHost

app_dir, outdir = sys.argv[1:3]
app = App(outdir=outdir)


def site_stack(name: str) -> tuple[TerraformStack, ApacheSite, VirtualEnv]:
    stack = TerraformStack(app, name)
    site = ApacheSite(stack, "Site", platform=Platform.DEBIAN_12, server_name="hello.example.com")
    env = VirtualEnv(stack, "Env", requirements_file=f"{app_dir}/requirements.txt")
    group = DaemonGroup(site, "Hello", virtual_env=env, processes=2, threads=5)
    WsgiApp(site, "HelloApp", mount_path="/", source=app_dir, script_file="wsgi.py", daemon_group=group)
    return stack, site, env


local_stack, local_site, local_env = site_stack("local")
docker_stack, docker_site, _ = site_stack("docker")
DockerProvider(docker_stack, "Docker")
host = DockerHost(docker_stack, "Host", site=docker_site)



def raised(make) -> dict | None:
    """What a Python caller catches from make(): the exception's class and first line."""
    try:
        make()
        return None
    except Exception as e:
        return {"type": type(e).__name__, "message": str(e).split("\n")[0]}


# Rejected in JavaScript (the ValidationError) and, before any call, in Python (jsii's type check)
error = raised(lambda: DaemonGroup(local_site, "Bad", virtual_env=local_env, threads=0))
type_error = raised(lambda: DaemonGroup(local_site, "Typo", virtual_env=local_env, threads="five"))

app.synth()
print(json.dumps({
    "error": error,
    "type_error": type_error,
    "os_id": Platform.DEBIAN_12.os.id,
    "daemon_groups": len(local_site.daemon_groups),
    "host_class": type(host).__name__,
}))

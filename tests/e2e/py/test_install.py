"""make install: what it puts where, and that the installed pieces work."""
import json
import os
import shutil
import subprocess
import tempfile

from conftest import BIN, ROOT, Server, cli_env


def test_make_install_places_a_working_server_models_licences_and_unit():
    build = os.path.relpath(os.path.dirname(BIN), ROOT)
    prefix = tempfile.mkdtemp(prefix="rtstage-install-")
    try:
        # the build under test, with its own flags (a stale object is rebuilt alike)
        flags = ["SANITIZE=1"] if build == os.path.join("build", "asan") else []
        subprocess.run(["make", "-s", "--no-print-directory", "install", "BUILD=" + build,
                        "PREFIX=" + prefix] + flags, cwd=ROOT, check=True, capture_output=True,
                       timeout=300)
        binary = os.path.join(prefix, "bin", "rtstage")
        assert os.access(binary, os.X_OK)
        assert subprocess.run([binary, "--version"], capture_output=True, text=True,
                              check=True).stdout.startswith("rtstage ")
        for doc in ("LICENSE", "NOTICE"):
            assert os.path.getsize(os.path.join(prefix, "share", "doc", "rtstage", doc)) > 0
        models = os.path.join(prefix, "share", "rtstage", "aws-models")
        assert os.path.isfile(os.path.join(models, "ivs-realtime", "2020-07-14", "service-2.json"))

        unit = open(os.path.join(prefix, "lib", "systemd", "system", "rtstage.service")).read()
        assert "ExecStart=%s/bin/rtstage serve" % prefix in unit
        assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
        assert "@PREFIX@" not in unit
        if shutil.which("systemd-analyze"):
            p = subprocess.run(["systemd-analyze", "verify", os.path.join(prefix, "lib", "systemd",
                                "system", "rtstage.service")], capture_output=True, text=True)
            # The one complaint allowed is about the environment, never the unit's syntax.
            for line in p.stderr.splitlines():
                assert "Unknown" not in line and "Invalid" not in line and "Failed to parse" not in line, line

        # The installed binary serves, and the installed models drive the AWS CLI.
        s = Server()
        s.start_with(binary)
        try:
            env = cli_env(s)
            env["AWS_DATA_PATH"] = models
            p = subprocess.run(["/usr/bin/aws", "--endpoint-url", s.url, "--output", "json",
                                "ivs-realtime", "create-stage", "--name", "installed"],
                               capture_output=True, text=True, env=env, timeout=60)
            assert p.returncode == 0, p.stderr
            assert json.loads(p.stdout)["stage"]["name"] == "installed"
        finally:
            assert s.stop() == 0
    finally:
        shutil.rmtree(prefix, ignore_errors=True)

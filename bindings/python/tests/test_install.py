"""pip install --no-build-isolation, offline, into a venv that sees Debian's
setuptools (--system-site-packages; Debian's own pip refuses to touch the
system under PEP 668), then import the installed package. Where this build
has the compiled hot path (RTIPC_EXTENSION), pip must build it too, against
the build's header and library, and the installed package must use it."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from support import PACKAGE_ROOT


class Install(unittest.TestCase):
    def test_pip_install_into_a_venv(self):
        if not os.environ.get("RTIPC_LIBRARY"):
            raise unittest.SkipTest("RTIPC_LIBRARY is not set (run through meson test)")
        tmp = tempfile.mkdtemp(prefix="rtipc-pip-")
        self.addCleanup(shutil.rmtree, tmp)
        # A copy, so that the build leaves nothing in the source tree.
        source = os.path.join(tmp, "src")
        shutil.copytree(PACKAGE_ROOT, source,
                        ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
        venv = os.path.join(tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
        python = os.path.join(venv, "bin", "python")
        extension = bool(os.environ.get("RTIPC_EXTENSION"))
        build_env = dict(os.environ, RTIPC_REQUIRE_EXTENSION="1" if extension else "0",
                         CPPFLAGS=os.environ.get("RTIPC_CFLAGS", ""),
                         LDFLAGS="-L" + os.path.dirname(os.environ["RTIPC_LIBRARY"]))
        subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation",
                        "--disable-pip-version-check", source], check=True, env=build_env)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RTIPC_EXTENSION")}
        out = subprocess.run(
            [python, "-c", "import os, rtipc; print(rtipc.version()); "
             "print(os.path.exists(os.path.join(os.path.dirname(rtipc.__file__), 'py.typed'))); "
             "print(rtipc.__file__); print(getattr(rtipc._lib.fast, '__file__', None))"],
            cwd=tmp, env=env, check=True, capture_output=True, text=True).stdout.split()
        self.assertTrue(out[0].startswith("1."))
        self.assertEqual(out[1], "True")
        self.assertTrue(out[2].startswith(venv), out[2])
        if extension:
            self.assertTrue(out[3].startswith(venv), "the installed package has no _fast: " + out[3])


if __name__ == "__main__":
    unittest.main()

"""The release's SBOM (scripts/release.py) names every crate the functions and the CLI are built
from, the CLI's own credential crates included, and each binary and zip of the release with the
SHA-256 that SHA256SUMS gives it."""

import hashlib
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import release  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


class Sbom(unittest.TestCase):
    def setUp(self):
        # release.py runs from the repository's root, as release.sh runs it.
        self.cwd = os.getcwd()
        os.chdir(ROOT)

    def tearDown(self):
        os.chdir(self.cwd)

    def test_the_sbom_holds_the_crates_and_each_binary_with_its_checksum(self):
        with tempfile.TemporaryDirectory() as out:
            files = {
                "macie-guard-9.9.9-x86_64-linux": b"cli x86_64",
                "macie-guard-9.9.9-aarch64-linux": b"cli aarch64",
                "expiry-guard-9.9.9.zip": b"zip",
                "macie-guard-9.9.9.yaml": b"template",
            }
            for name, body in files.items():
                with open(os.path.join(out, name), "wb") as f:
                    f.write(body)
            doc = release.sbom("9.9.9", 315532800, out)
        by_name = {c["name"]: c for c in doc["components"]}
        for name in ["macie-guard-9.9.9-x86_64-linux", "macie-guard-9.9.9-aarch64-linux", "expiry-guard-9.9.9.zip"]:
            self.assertEqual(by_name[name]["type"], "file")
            self.assertEqual(by_name[name]["hashes"][0]["content"], hashlib.sha256(files[name]).hexdigest())
        self.assertNotIn("macie-guard-9.9.9.yaml", by_name, "the template is not a binary")
        # The CLI and the credential sources only it has.
        self.assertEqual(by_name["macie-guard-cli"]["type"], "application")
        self.assertIn("aws-sdk-sso", by_name)
        self.assertIn("lambda_runtime", by_name)


if __name__ == "__main__":
    unittest.main()

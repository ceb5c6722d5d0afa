"""A throwaway certificate authority for TLS scenario tests, made with the
`openssl` command line (Debian package `openssl`) in a temporary directory.

    ca = tlsca.TestCA()                       # ca.cert: the CA's PEM
    good = ca.server("east.example.com")      # Pair(cert=..., key=...)
    old = ca.server("east.example.com", expired=True)
    other = ca.server("west.example.com")     # use it for east: a wrong name
    own = tlsca.self_signed("east.example.com", ca.dir)
    client = ca.client("switchboard-probe")
    ...
    ca.cleanup()

Certificates are signed with `openssl ca`, because OpenSSL 3.0's `x509 -req`
cannot set a validity period in the past; `ca -startdate/-enddate` can, so
an expired (or not yet valid) certificate needs no clock tricks. Keys are
EC P-256: generated in milliseconds.
"""
import collections
import os
import shutil
import subprocess
import tempfile

Pair = collections.namedtuple("Pair", "cert key")

EXPIRED = ("20200101000000Z", "20200201000000Z")
NOT_YET_VALID = ("20990101000000Z", "20990201000000Z")

CA_CONFIG = """[ ca ]
default_ca = testca

[ testca ]
database = {dir}/index.txt
new_certs_dir = {dir}/issued
serial = {dir}/serial
default_md = sha256
default_days = 30
policy = anything
unique_subject = no
copy_extensions = none

[ anything ]
commonName = supplied
"""

SERVER_EXT = """[ ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:{name}
"""

CLIENT_EXT = """[ ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
"""


def openssl(*args):
    done = subprocess.run(["openssl", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def new_key(path):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", path)
    # A throwaway test key: readable by the user the daemon drops to, which
    # reads client keys for mutual TLS.
    os.chmod(path, 0o644)


def self_signed(name, directory, file_name=None):
    """A certificate for `name` signed by its own key, valid now."""
    base = os.path.join(directory, file_name or f"self-{name}")
    key = base + ".key"
    new_key(key)
    openssl("req", "-x509", "-new", "-key", key, "-out", base + ".pem", "-days", "30",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}")
    return Pair(base + ".pem", key)


class TestCA:
    def __init__(self, name="Switchboard Test CA"):
        self.dir = tempfile.mkdtemp(prefix="sb-tlsca-")
        os.chmod(self.dir, 0o755)  # the daemon reads certificates after dropping root
        os.mkdir(os.path.join(self.dir, "issued"))
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        self.config = os.path.join(self.dir, "ca.cnf")
        with open(self.config, "w") as f:
            f.write(CA_CONFIG.format(dir=self.dir))
        self.key = os.path.join(self.dir, "ca.key")
        self.cert = os.path.join(self.dir, "ca.pem")
        new_key(self.key)
        openssl("req", "-x509", "-new", "-key", self.key, "-out", self.cert, "-days", "30",
                "-subj", f"/CN={name}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.count = 0

    def _issue(self, subject, ext_text, validity=None):
        self.count += 1
        base = os.path.join(self.dir, f"cert{self.count}")
        key, csr, ext = base + ".key", base + ".csr", base + ".ext"
        new_key(key)
        openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={subject}")
        with open(ext, "w") as f:
            f.write(ext_text)
        dates = ["-startdate", validity[0], "-enddate", validity[1]] if validity else []
        openssl("ca", "-batch", "-notext", "-config", self.config, "-cert", self.cert,
                "-keyfile", self.key, "-in", csr, "-out", base + ".pem",
                "-extfile", ext, "-extensions", "ext", *dates)
        return Pair(base + ".pem", key)

    def server(self, name, expired=False, not_yet_valid=False):
        """A server certificate with `name` as its DNS subjectAltName."""
        validity = EXPIRED if expired else NOT_YET_VALID if not_yet_valid else None
        return self._issue(name, SERVER_EXT.format(name=name), validity)

    def client(self, name="switchboard-probe"):
        """A client certificate (extendedKeyUsage clientAuth)."""
        return self._issue(name, CLIENT_EXT)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

"""A broker that wants TLS and a password: the daemon connects with both; secrets stay hidden."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import shutil
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, Dev, config_text, daemon
from tests.support.broker import MOSQUITTO, Broker, free_tcp_port
from tests.support.mqtt_client import recorder

pytestmark = pytest.mark.timeout(60)

PASSWORD = "broker-secret-9f2c"


def make_ca_and_server(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "setsmart test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


async def test_tls_and_password(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    ca, cert, key = make_ca_and_server(tmp_path)
    password_file = tmp_path / "passwords"
    password_file.touch()
    setup = await asyncio.create_subprocess_exec(
        passwd, "-b", str(password_file), "setsmart", PASSWORD
    )
    assert await setup.wait() == 0
    port = free_tcp_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
        f"allow_anonymous false\npassword_file {password_file}\npersistence false\n"
        "user root\n"  # as root, mosquitto would drop to a user that cannot read tmp_path
    )
    broker = await asyncio.create_subprocess_exec(
        MOSQUITTO,
        "-c",
        str(conf),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    (tmp_path / "mqtt_password").write_text(PASSWORD + "\n")
    tls = ssl.create_default_context(cafile=str(ca))
    try:
        await asyncio.sleep(0.5)
        async with SimDevice("bftls000000000000001", KEY, "3.3", "plug", host="127.0.0.61") as plug:
            text = config_text(Broker(tmp_path, port=port), [Dev("plug", plug)]).replace(
                f"  port: {port}\n",
                f"  port: {port}\n  username: setsmart\n  password_file: mqtt_password\n"
                f"  tls:\n    ca_file: {ca}\n",
            )
            async with (
                recorder(
                    "127.0.0.1",
                    port,
                    f"{BASE}/plug/availability",
                    username="setsmart",
                    password=PASSWORD,
                    tls=tls,
                ) as watcher,
                daemon(tmp_path, text),
            ):
                await watcher.wait_for(
                    f"{BASE}/plug/availability", lambda m: m.payload == b"online"
                )
    finally:
        broker.terminate()
        await broker.wait()
    out, err = capfd.readouterr()
    assert PASSWORD not in out + err

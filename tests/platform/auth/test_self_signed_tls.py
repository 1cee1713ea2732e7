"""`comfyd serve --tls-self-signed`: a certificate for this machine, made once under the user
directory; the server answers https with it, and `/api/features` then points the frontend's
platform bases at the server's own https origin."""

from __future__ import annotations

import ssl
import stat
from datetime import UTC, datetime, timedelta

from cryptography import x509

from comfyd.platform.auth.tls import ensure_self_signed_certificate


def trusting(certfile) -> ssl.SSLContext:
    """A client context that trusts exactly this certificate, with host name checks on."""
    return ssl.create_default_context(cafile=str(certfile))


def test_the_server_serves_https_with_a_certificate_a_client_can_trust(servers, tmp_path):
    certfile = tmp_path / "user" / "tls" / "comfyd-self-signed.pem"
    server = servers("--tls-self-signed", base_dir=tmp_path, scheme="https", verify=False)
    server.verify = trusting(certfile)

    for host in ["127.0.0.1", "localhost"]:
        with server.client() as http:
            reply = http.get(f"https://{host}:{server.port}/api/features")
        assert reply.status_code == 200
        features = reply.json()
        assert features["comfy_api_base_url"] == f"https://{host}:{server.port}"
        assert features["comfy_cloud_base_url"] == f"https://{host}:{server.port}"

    keyfile = certfile.with_name("comfyd-self-signed-key.pem")
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    names = x509.load_pem_x509_certificate(certfile.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "localhost" in names.value.get_values_for_type(x509.DNSName)


def test_the_certificate_is_made_once_and_kept_across_restarts(servers, tmp_path):
    certfile = tmp_path / "user" / "tls" / "comfyd-self-signed.pem"
    server = servers("--tls-self-signed", base_dir=tmp_path, scheme="https", verify=False)
    first = certfile.read_bytes()

    server.stop()
    server.start()

    assert certfile.read_bytes() == first
    server.verify = trusting(certfile)
    assert server.request("GET", "/api/features").status_code == 200


def test_over_plain_http_the_frontend_keeps_its_own_bases(jwt_server):
    features = jwt_server.request("GET", "/api/features").json()
    assert "comfy_api_base_url" not in features and "comfy_cloud_base_url" not in features


def test_a_certificate_near_its_end_is_made_again(tmp_path):
    made = ensure_self_signed_certificate(tmp_path)
    first = made.certfile.read_bytes()

    assert ensure_self_signed_certificate(tmp_path).certfile.read_bytes() == first
    later = datetime.now(UTC) + timedelta(days=360)
    renewed = ensure_self_signed_certificate(tmp_path, now=later)

    assert renewed.certfile.read_bytes() != first
    certificate = x509.load_pem_x509_certificate(renewed.certfile.read_bytes())
    assert certificate.not_valid_after_utc > later + timedelta(days=300)
